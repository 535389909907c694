// The time left in an event's running round or break, ticking on one screen.
import { formatDuration } from "./dom.js";

const LABELS = { round: "Round ends in", break: "Break ends in" };
const RESTING = { lobby: "Lobby", ended: "Ended" };

/** A clock for one target; call it with each new event state. */
export function eventClock(target, label = null) {
  let timer = null;
  return (state, now) => {
    clearInterval(timer);
    if (label) label.textContent = LABELS[state.state] || "Status";
    const render = () => {
      if (!state.ends_at) { target.textContent = label ? RESTING[state.state] || "" : ""; return; }
      target.textContent = formatDuration(Math.max(0, (state.ends_at - now()) / 1000));
    };
    render();
    if (state.ends_at) timer = setInterval(render, 500);
  };
}
