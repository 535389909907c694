// The local camera and microphone: start, switch devices, mute, and say plainly what went wrong.

export function describeMediaError(error) {
  const name = error && error.name;
  if (name === "NotAllowedError" || name === "SecurityError") {
    return "Camera and microphone access is blocked. Allow it in your browser's address bar, then press Try again. You can still join with audio and video off.";
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return "No camera or microphone was found. Plug one in and press Try again, or join without video.";
  }
  if (name === "NotReadableError") {
    return "Your camera or microphone is busy in another app. Close it there and press Try again.";
  }
  return "We couldn't start your camera or microphone. Press Try again.";
}

class LocalMedia {
  constructor() {
    this.stream = new MediaStream();
    this.micMuted = false;
    this.cameraOff = false;
    this.error = null;
    this.listeners = new Set();
    this.pending = Promise.resolve(this.stream);
  }

  /** Resolves once the latest start() settled (with tracks, or with none after an error). */
  whenReady() { return this.pending; }

  onChange(listener) { this.listeners.add(listener); }

  emit() { for (const listener of this.listeners) listener(this); }

  /** (Re)acquire media with the chosen devices (the last ones chosen when none are given); on
   * failure keep an empty stream and the error. */
  start(options = this.chosen || {}) {
    this.chosen = options;
    this.generation = (this.generation || 0) + 1;
    this.pending = this.acquire(options, this.generation);
    return this.pending;
  }

  /** Turn camera and microphone off entirely (a mentor waiting for calls is not on camera);
   * the next start() asks for the same devices. */
  release() {
    this.generation = (this.generation || 0) + 1;
    for (const track of this.stream.getTracks()) { track.stop(); this.stream.removeTrack(track); }
    this.pending = Promise.resolve(this.stream);
    this.emit();
  }

  get live() { return this.stream.getTracks().some((track) => track.readyState === "live"); }

  async acquire({ videoDeviceId, audioDeviceId }, generation) {
    const constraints = {
      video: videoDeviceId ? { deviceId: { exact: videoDeviceId } } : { width: { ideal: 640 }, height: { ideal: 480 } },
      audio: audioDeviceId ? { deviceId: { exact: audioDeviceId } } : true,
    };
    try {
      const fresh = await navigator.mediaDevices.getUserMedia(constraints);
      if (generation !== this.generation) {
        // Released (or restarted) while the browser was still opening the devices.
        for (const track of fresh.getTracks()) track.stop();
        return this.stream;
      }
      for (const track of this.stream.getTracks()) { track.stop(); this.stream.removeTrack(track); }
      for (const track of fresh.getTracks()) this.stream.addTrack(track);
      this.error = null;
    } catch (error) {
      this.error = error;
    }
    this.apply();
    this.emit();
    return this.stream;
  }

  async devices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return { cameras: [], mics: [] };
    const all = await navigator.mediaDevices.enumerateDevices();
    return {
      cameras: all.filter((d) => d.kind === "videoinput"),
      mics: all.filter((d) => d.kind === "audioinput"),
    };
  }

  get videoTrack() { return this.stream.getVideoTracks()[0] || null; }
  get audioTrack() { return this.stream.getAudioTracks()[0] || null; }

  setMicMuted(muted) { this.micMuted = muted; this.apply(); this.emit(); }
  setCameraOff(off) { this.cameraOff = off; this.apply(); this.emit(); }

  apply() {
    for (const track of this.stream.getAudioTracks()) track.enabled = !this.micMuted;
    for (const track of this.stream.getVideoTracks()) track.enabled = !this.cameraOff;
  }

  stop() { for (const track of this.stream.getTracks()) track.stop(); }
}

/** This page's camera and microphone, shared by the pre-join preview, the call and the warm
 * connection (warm.js). */
export const media = new LocalMedia();
