import { alertFor } from "./alerts.js";
import { addMessage, openConversation, setDelivery } from "./conversation.js";
import { $, announce } from "./dom.js";
import { t } from "./i18n.js";
import { loadQueue, reloadQueue } from "./queue.js";
import { state } from "./state.js";

// ----- live: the websocket, reconnect with backoff, resync by seq ---------------------------
export function showBanner(down) {
  const banner = $("#banner");
  if (!banner) return;
  banner.textContent = down ? t("banner.down") : "";
  banner.hidden = !down;
}

export function connect() {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const since = state.lastSeq > 0 ? "?since=" + state.lastSeq : "";
  let socket;
  try {
    socket = new WebSocket(scheme + "//" + window.location.host + "/console/api/live" + since);
  } catch (error) {
    scheduleReconnect();
    return;
  }
  state.socket = socket;
  socket.addEventListener("message", (event) => {
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    onFrame(frame);
  });
  socket.addEventListener("close", () => {
    if (state.socket !== socket) return;
    state.socket = null;
    showBanner(true);
    scheduleReconnect();
  });
}

export function scheduleReconnect() {
  // 0.5 s, 1 s, 2 s … up to 15 s, with jitter so that a restarted server is not hit by every console at once.
  const delay = Math.min(15000, 500 * 2 ** state.retries) * (0.75 + Math.random() * 0.5);
  state.retries = Math.min(state.retries + 1, 6);
  setTimeout(connect, delay);
}

export async function resync() {
  // After a (re)connect: the queue and the open conversation as they are now, then the banner goes.
  await Promise.all([loadQueue(), state.current ? openConversation(state.current) : null]);
  state.retries = 0;
  showBanner(false);
  document.body.dataset.live = "up";
}

export function onFrame(frame) {
  if (frame.kind === "hello") {
    if (typeof frame.head === "number" && (frame.reset || state.lastSeq === 0)) state.lastSeq = frame.head;
    resync();
    return;
  }
  if (typeof frame.seq !== "number" || frame.seq <= state.lastSeq) return; // exactly once
  state.lastSeq = frame.seq;
  document.body.dataset.seq = String(frame.seq);
  handleEvent(frame);
}

export function handleEvent(frame) {
  const payload = frame.payload || {};
  const cid = frame.conversation_id || payload.conversation_id;
  const me = state.me && state.me.id;
  const current = cid && cid === state.current;
  switch (frame.kind) {
    case "message.created": {
      const message = payload.message;
      if (current && message) {
        addMessage(message, true);
        if (message.direction === "in") announce(t("alert.message"));
      }
      break;
    }
    case "message.status":
      if (current) setDelivery(payload.message_id, payload.delivery);
      return;
    case "conversation.queued":
      if (payload.assignee && payload.assignee === me) alertFor(cid, "alert.assigned");
      break;
    case "conversation.assigned":
      if (payload.assignee === me && payload.by !== me) alertFor(cid, "alert.assigned");
      if (current) openConversation(cid);
      break;
    case "conversation.status":
    case "conversation.updated":
      if (current) openConversation(cid);
      break;
    case "mention":
      if (payload.by !== me) alertFor(cid, "alert.mention");
      break;
    case "presence": {
      const agent = state.agents.find((a) => (a.id || a.agent_id) === payload.agent_id);
      if (agent) agent.presence = payload.presence;
      if (payload.agent_id === me) $("#presence").value = payload.presence;
      return;
    }
    default:
      break;
  }
  reloadQueue();
}
