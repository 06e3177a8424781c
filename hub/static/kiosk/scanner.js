// The two ways a receipt's QR code reaches the kiosk: a USB scanner that
// types it (a keyboard wedge: a fast burst of keys ending in Enter, wherever
// the focus is) and the kiosk's camera, decoded by jsQR (vendored from npm,
// loaded only when the camera is first used, so the first paint stays light).

// A scanner types a whole code in well under 50 ms a key; a person takes
// 150 ms or more. The average, not every gap, decides: a busy machine can
// delay one key event.
const SCANNER_MS_PER_KEY = 50;
const PAUSE_MS = 300; // a longer silence starts a new burst
const MIN_LENGTH = 6;

export function listenForScanner(onScan) {
  let buffer = '';
  let first = 0;
  let last = 0;
  document.addEventListener('keydown', (event) => {
    const target = event.target;
    // A person typing a question in a text field is not a scanner.
    if (target instanceof HTMLInputElement && !target.readOnly) return;
    const now = performance.now();
    if (now - last > PAUSE_MS) {
      buffer = '';
      first = now;
    }
    last = now;
    if (event.key === 'Enter') {
      const fast = buffer.length >= MIN_LENGTH && (now - first) / buffer.length < SCANNER_MS_PER_KEY;
      const scanned = buffer;
      buffer = '';
      if (fast) {
        event.preventDefault();
        onScan(scanned);
      }
      return;
    }
    if (event.key.length === 1) buffer += event.key;
  });
}

let loading = null;

function loadDecoder() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = '/static/vendor/jsqr-1.4.0/dist/jsQR.js';
      script.onload = () => resolve(window.jsQR);
      script.onerror = () => {
        loading = null;
        reject(new Error('jsQR did not load'));
      };
      document.head.append(script);
    });
  }
  return loading;
}

// Starts the camera into `video`; calls onCode(text) once with the first QR
// code it reads. Returns a function that stops the camera.
export async function startCamera(video, onCode) {
  const decode = await loadDecoder();
  const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
  let stopped = false;
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  video.srcObject = stream;
  video.muted = true;
  video.setAttribute('playsinline', '');
  await video.play().catch(() => {});
  const stop = () => {
    stopped = true;
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  };
  const look = () => {
    if (stopped) return;
    if (video.readyState >= 2 && video.videoWidth) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = decode(image.data, image.width, image.height, { inversionAttempts: 'dontInvert' });
      if (found && found.data) {
        stop();
        onCode(found.data);
        return;
      }
    }
    setTimeout(look, 150);
  };
  look();
  return stop;
}
