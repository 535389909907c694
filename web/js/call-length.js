// How long a drop-in call lasts (the server's session length), in words people read at a glance.

/** "15 min", "90 s", "7.5 min". */
export function callLength(seconds) {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = seconds / 60;
  return `${Number.isInteger(minutes) ? minutes : Math.round(minutes * 10) / 10} min`;
}

/** "Calls last 15 min; a 30-min burst fits up to 2 calls." */
export function burstFit(sessionSeconds, burstMinutes) {
  const fits = Math.floor((burstMinutes * 60) / sessionSeconds);
  const calls = fits === 0 ? "is too short for a call" : fits === 1 ? "fits one call" : `fits up to ${fits} calls`;
  return `Calls last ${callLength(sessionSeconds)}; a ${burstMinutes}-min burst ${calls}.`;
}
