// The call's countdown, drawn from the server's ends_at and the clock offset, never from a
// local timer that could drift.
import { formatDuration } from "./dom.js";

const CIRCUMFERENCE = 2 * Math.PI * 52;

export class Countdown {
  constructor({ ring, label, caption, box, now }) {
    this.ring = ring;
    this.label = label;
    this.caption = caption;
    this.box = box;
    this.now = now;
    this.timer = null;
    this.ring.style.strokeDasharray = `${CIRCUMFERENCE}`;
    this.reset();
  }

  reset() {
    this.stop();
    this.ring.style.strokeDashoffset = "0";
    this.label.textContent = "--:--";
    this.caption.textContent = "waiting";
    this.box.classList.remove("low");
  }

  start(startedAt, endsAt) {
    this.startedAt = startedAt;
    this.endsAt = endsAt;
    this.stop();
    this.tick();
    this.timer = setInterval(() => this.tick(), 250);
  }

  remainingMs() { return this.endsAt - this.now(); }

  tick() {
    const total = Math.max(1, this.endsAt - this.startedAt);
    const remaining = Math.max(0, this.remainingMs());
    this.ring.style.strokeDashoffset = `${CIRCUMFERENCE * (1 - remaining / total)}`;
    this.label.textContent = formatDuration(Math.ceil(remaining / 1000));
    this.caption.textContent = remaining > 0 ? "left" : "time's up";
    this.box.classList.toggle("low", remaining <= 60_000);
    if (remaining <= 0) this.stop();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }
}

let audio = null;

/** A soft two-note chime (WebAudio; nothing to download). */
export function chime() {
  try {
    audio = audio || new AudioContext();
    const start = audio.currentTime;
    for (const [offset, frequency] of [[0, 660], [0.18, 880]]) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.15, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.35);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.4);
    }
  } catch {
    // No audio output: the visible warning is enough.
  }
}
