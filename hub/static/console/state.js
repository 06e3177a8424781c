/* The one mutable state of the console page, shared by the modules. */
export const state = {
  me: null,
  csrf: document.body.dataset.csrf || "",
  view: "mine",
  items: [],
  next: null,
  counts: {},
  current: null, // the open conversation's id
  detail: null, // its item (GET /console/api/conversations/{id})
  messageIds: new Set(),
  agents: [],
  lastSeq: 0,
  socket: null,
  retries: 0,
  alerts: new Set(), // conversation ids with an unseen alert: the title's "(n)"
  mode: "reply",
  baseTitle: document.title,
};
