/* Tổng đài · the help-center console (issue 12). No framework, no build step:
   this file is served as written, under a CSP without inline scripts.

   Element ids and roles the browser tests (tests/browser/test_console.py) use:
     header: #presence (select), #lang (button), #help-open, #help (dialog), #me-name
     #banner (role=alert, "Mất kết nối — đang kết nối lại…" while the socket is down)
     #announcer (role=status): new messages in the open conversation, alerts
     left:   #views button[data-view=mine|unassigned|team|all] with .count[data-count];
             #filters: #f-search #f-channel #f-status #f-priority #f-label #f-dossier;
             #queue li > a.item[data-id] (aria-current="true" on the open one)
     middle: #conv-title, #conv-meta, #escalation, #btn-claim #btn-transfer #btn-resolve
             #btn-pending #btn-reopen #snooze (select) #btn-handback #priority (select) #labels + #btn-labels;
             #messages (role=log) li.msg[data-id] .msg-in|.msg-out|.msg-bot|.msg-note|.msg-activity,
             .delivery[data-status] on agent replies;
             #composer: #mode-reply #mode-note (radios) #reply-text #sms-counter #send #composer-error;
             #canned (listbox of li[role=option]), #mention-list (listbox)
             #transfer (dialog): #transfer-agent #transfer-note #transfer-ok
     right:  #citizen (aside): #citizen-name, .contact, .dossier[data-code], .notice, .other-conv
     audit page (body[data-page=audit]): #audit-filters, #audit-table tbody tr
*/
(function () {
  "use strict";

  // ----- strings: one table per language -------------------------------------------------------
  const STRINGS = {
    vi: {
      "app.title": "Tổng đài · Bảng điều khiển",
      "title.console": "Bảng điều khiển · Tổng đài",
      "title.audit": "Nhật ký truy cập · Tổng đài",
      "nav.audit": "Nhật ký truy cập",
      "nav.console": "Hàng đợi",
      "nav.pages": "Trang",
      "presence.label": "Trạng thái trực",
      "presence.online": "Trực tuyến",
      "presence.away": "Tạm vắng",
      "presence.offline": "Ngoại tuyến",
      "lang.switch": "English",
      "help.open": "Phím tắt (?)",
      "help.title": "Phím tắt",
      "help.jk": "Hội thoại tiếp theo / trước đó",
      "help.r": "Trả lời",
      "help.n": "Ghi chú nội bộ",
      "help.e": "Đánh dấu đã xong",
      "help.slash": "Câu trả lời mẫu (trong ô soạn)",
      "help.send": "Gửi",
      "help.help": "Bảng phím tắt này",
      close: "Đóng",
      cancel: "Hủy",
      logout: "Đăng xuất",
      any: "Tất cả",
      "views.label": "Chế độ xem",
      "view.mine": "Của tôi",
      "view.unassigned": "Chưa phân công",
      "view.team": "Nhóm của tôi",
      "view.all": "Tất cả",
      "filters.label": "Lọc hàng đợi",
      "filter.search": "Tìm (mã hồ sơ, số điện thoại, tên)",
      "filter.channel": "Kênh",
      "filter.status": "Trạng thái",
      "filter.priority": "Ưu tiên",
      "filter.label": "Nhãn",
      "filter.dossier": "Mã hồ sơ",
      "channel.telegram": "Telegram",
      "channel.sms": "SMS",
      "channel.email": "Email",
      "channel.webchat": "Web chat",
      "channel.kiosk": "Kiosk",
      "channel.phone": "Điện thoại",
      "status.open": "Đang mở",
      "status.pending": "Chờ công dân",
      "status.snoozed": "Tạm ẩn",
      "status.resolved": "Đã xong",
      "status.bot": "Trợ lý ảo đang xử lý",
      "priority.0": "Bình thường",
      "priority.1": "Cao",
      "priority.2": "Khẩn",
      "reason.request_human": "Công dân muốn gặp cán bộ",
      "reason.complaint": "Phản ánh, khiếu nại",
      "reason.not_understood": "Trợ lý ảo không hiểu",
      "queue.label": "Hàng đợi",
      "queue.title": "Danh sách hội thoại",
      "queue.empty": "Không có hội thoại nào.",
      "queue.more": "Xem thêm",
      "queue.unassigned": "Chưa phân công",
      "queue.citizen": "Công dân",
      "conv.empty": "Chọn một hội thoại trong hàng đợi.",
      "conv.loading": "Đang tải…",
      "conv.forbidden": "Ông/Bà không có quyền xem hội thoại này.",
      "conv.missing": "Không tìm thấy hội thoại này.",
      "conv.status": "Trạng thái",
      "conv.priority": "Ưu tiên",
      "conv.assignee": "Người phụ trách",
      "conv.channel": "Kênh",
      "conv.address": "Địa chỉ",
      "conv.dossier": "Hồ sơ",
      "conv.labels": "Nhãn",
      "conv.labels_field": "Nhãn của hội thoại",
      "conv.priority_field": "Ưu tiên của hội thoại",
      "conv.snoozed_until": "Tạm ẩn đến",
      "conv.reason": "Lý do chuyển cho cán bộ",
      "conv.transcript": "Hội thoại với trợ lý ảo trước khi chuyển",
      "conv.actions": "Thao tác",
      "conv.messages": "Tin nhắn",
      "conv.nobody": "Chưa có",
      "btn.claim": "Nhận xử lý",
      "btn.transfer": "Chuyển…",
      "btn.resolve": "Đã xong",
      "btn.pending": "Chờ công dân",
      "btn.reopen": "Mở lại",
      "btn.handback": "Trả lại trợ lý ảo",
      "btn.labels": "Lưu nhãn",
      "snooze.label": "Tạm ẩn",
      "snooze.choose": "Chọn…",
      "snooze.1h": "1 giờ",
      "snooze.4h": "4 giờ",
      "snooze.tomorrow": "Sáng mai 8:00",
      "labels.hint": "cách nhau bởi dấu phẩy",
      "who.citizen": "Công dân",
      "who.assistant": "Trợ lý ảo",
      "who.agent": "Cán bộ",
      "who.note": "Ghi chú nội bộ",
      "who.system": "Hệ thống",
      "delivery.sent": "đã gửi",
      "delivery.delivered": "đã nhận",
      "delivery.failed": "thất bại",
      "delivery.wait": "đang gửi",
      "delivery.label": "Trạng thái gửi",
      "composer.mode": "Chế độ soạn",
      "composer.reply": "Trả lời công dân",
      "composer.note": "Ghi chú nội bộ",
      "composer.reply_label": "Nội dung trả lời",
      "composer.note_label": "Nội dung ghi chú (gõ @ để nhắc tên cán bộ)",
      "composer.hint": "Ctrl+Enter để gửi · / câu trả lời mẫu",
      "composer.send": "Gửi",
      "composer.send_note": "Lưu ghi chú",
      "composer.empty": "Hãy nhập nội dung.",
      "composer.not_mine": "Hãy nhận xử lý hội thoại này trước khi trả lời.",
      "sms.counter": "{encoding} · {segments} tin · {characters} ký tự ({per_segment}/tin)",
      "canned.label": "Câu trả lời mẫu",
      "canned.none": "Không có câu trả lời mẫu phù hợp.",
      "mention.label": "Nhắc tên cán bộ",
      "transfer.title": "Chuyển hội thoại",
      "transfer.agent": "Chuyển cho",
      "transfer.team_only": "Nhóm {team} (chưa giao ai)",
      "transfer.note": "Ghi chú cho người nhận",
      "transfer.ok": "Chuyển",
      "citizen.label": "Công dân",
      "citizen.title": "Thông tin công dân",
      "citizen.contacts": "Liên hệ",
      "citizen.dossiers": "Hồ sơ",
      "citizen.notices": "Thông báo đã gửi",
      "citizen.others": "Hội thoại khác",
      "citizen.none": "Không có.",
      "citizen.unknown": "Chưa xác định công dân.",
      "banner.down": "Mất kết nối — đang kết nối lại…",
      "alert.assigned": "Hội thoại mới được giao cho Ông/Bà",
      "alert.mention": "Ông/Bà được nhắc tên trong một ghi chú",
      "alert.message": "Tin nhắn mới từ công dân",
      "error.generic": "Có lỗi xảy ra; hãy thử lại.",
      "error.network": "Không kết nối được máy chủ; hãy thử lại.",
      "done.claimed": "Đã nhận xử lý hội thoại.",
      "done.sent": "Đã gửi trả lời.",
      "done.note": "Đã lưu ghi chú.",
      "done.status": "Đã cập nhật trạng thái.",
      "done.transfer": "Đã chuyển hội thoại.",
      "done.transfer_to": "Đã chuyển hội thoại cho {name}.",
      "done.saved": "Đã lưu.",
      "audit.title": "Nhật ký truy cập dữ liệu cá nhân và thao tác",
      "audit.agent": "Mã cán bộ",
      "audit.type": "Loại đối tượng",
      "audit.object": "Mã đối tượng",
      "audit.since": "Từ ngày",
      "audit.limit": "Số dòng",
      "audit.search": "Tra cứu",
      "audit.at": "Thời điểm",
      "audit.action": "Thao tác",
      "audit.reason": "Lý do",
      "audit.count": "{n} dòng.",
    },
    en: {
      "app.title": "Tổng đài · Console",
      "title.console": "Console · Tổng đài",
      "title.audit": "Audit log · Tổng đài",
      "nav.audit": "Audit log",
      "nav.console": "Queue",
      "nav.pages": "Pages",
      "presence.label": "Presence",
      "presence.online": "Online",
      "presence.away": "Away",
      "presence.offline": "Offline",
      "lang.switch": "Tiếng Việt",
      "help.open": "Shortcuts (?)",
      "help.title": "Keyboard shortcuts",
      "help.jk": "Next / previous conversation",
      "help.r": "Reply",
      "help.n": "Private note",
      "help.e": "Resolve",
      "help.slash": "Canned responses (in the reply box)",
      "help.send": "Send",
      "help.help": "This list",
      close: "Close",
      cancel: "Cancel",
      logout: "Sign out",
      any: "Any",
      "views.label": "Views",
      "view.mine": "Mine",
      "view.unassigned": "Unassigned",
      "view.team": "My team",
      "view.all": "All",
      "filters.label": "Filter the queue",
      "filter.search": "Search (dossier code, phone, name)",
      "filter.channel": "Channel",
      "filter.status": "Status",
      "filter.priority": "Priority",
      "filter.label": "Label",
      "filter.dossier": "Dossier code",
      "channel.telegram": "Telegram",
      "channel.sms": "SMS",
      "channel.email": "Email",
      "channel.webchat": "Web chat",
      "channel.kiosk": "Kiosk",
      "channel.phone": "Phone",
      "status.open": "Open",
      "status.pending": "Pending",
      "status.snoozed": "Snoozed",
      "status.resolved": "Resolved",
      "status.bot": "With the assistant",
      "priority.0": "Normal",
      "priority.1": "High",
      "priority.2": "Urgent",
      "reason.request_human": "The citizen asked for a person",
      "reason.complaint": "Complaint",
      "reason.not_understood": "The assistant did not understand",
      "queue.label": "Queue",
      "queue.title": "Conversations",
      "queue.empty": "No conversations.",
      "queue.more": "Show more",
      "queue.unassigned": "Unassigned",
      "queue.citizen": "Citizen",
      "conv.empty": "Pick a conversation in the queue.",
      "conv.loading": "Loading…",
      "conv.forbidden": "You may not see this conversation.",
      "conv.missing": "This conversation does not exist.",
      "conv.status": "Status",
      "conv.priority": "Priority",
      "conv.assignee": "Assignee",
      "conv.channel": "Channel",
      "conv.address": "Address",
      "conv.dossier": "Dossier",
      "conv.labels": "Labels",
      "conv.labels_field": "Conversation labels",
      "conv.priority_field": "Conversation priority",
      "conv.snoozed_until": "Snoozed until",
      "conv.reason": "Why it came to a person",
      "conv.transcript": "The conversation with the assistant before the handoff",
      "conv.actions": "Actions",
      "conv.messages": "Messages",
      "conv.nobody": "Nobody",
      "btn.claim": "Claim",
      "btn.transfer": "Transfer…",
      "btn.resolve": "Resolve",
      "btn.pending": "Pending",
      "btn.reopen": "Reopen",
      "btn.handback": "Hand back to the assistant",
      "btn.labels": "Save labels",
      "snooze.label": "Snooze",
      "snooze.choose": "Choose…",
      "snooze.1h": "1 hour",
      "snooze.4h": "4 hours",
      "snooze.tomorrow": "Tomorrow 8:00",
      "labels.hint": "comma separated",
      "who.citizen": "Citizen",
      "who.assistant": "Assistant",
      "who.agent": "Agent",
      "who.note": "Private note",
      "who.system": "System",
      "delivery.sent": "sent",
      "delivery.delivered": "delivered",
      "delivery.failed": "failed",
      "delivery.wait": "sending",
      "delivery.label": "Delivery",
      "composer.mode": "Compose",
      "composer.reply": "Reply to the citizen",
      "composer.note": "Private note",
      "composer.reply_label": "Your reply",
      "composer.note_label": "Your note (type @ to mention an agent)",
      "composer.hint": "Ctrl+Enter to send · / canned responses",
      "composer.send": "Send",
      "composer.send_note": "Save note",
      "composer.empty": "Type something first.",
      "composer.not_mine": "Claim this conversation before replying.",
      "sms.counter": "{encoding} · {segments} SMS · {characters} characters ({per_segment}/SMS)",
      "canned.label": "Canned responses",
      "canned.none": "No canned response matches.",
      "mention.label": "Mention an agent",
      "transfer.title": "Transfer the conversation",
      "transfer.agent": "Transfer to",
      "transfer.team_only": "Team {team} (nobody assigned)",
      "transfer.note": "Note for the new assignee",
      "transfer.ok": "Transfer",
      "citizen.label": "Citizen",
      "citizen.title": "The citizen",
      "citizen.contacts": "Contacts",
      "citizen.dossiers": "Dossiers",
      "citizen.notices": "Notices sent",
      "citizen.others": "Other conversations",
      "citizen.none": "None.",
      "citizen.unknown": "Citizen not identified.",
      "banner.down": "Disconnected — reconnecting…",
      "alert.assigned": "A new conversation was assigned to you",
      "alert.mention": "You were mentioned in a note",
      "alert.message": "New message from the citizen",
      "error.generic": "Something went wrong; try again.",
      "error.network": "The server cannot be reached; try again.",
      "done.claimed": "Conversation claimed.",
      "done.sent": "Reply sent.",
      "done.note": "Note saved.",
      "done.status": "Status updated.",
      "done.transfer": "Conversation transferred.",
      "done.transfer_to": "Conversation transferred to {name}.",
      "done.saved": "Saved.",
      "audit.title": "Audit log: personal-data views and actions",
      "audit.agent": "Agent id",
      "audit.type": "Object type",
      "audit.object": "Object id",
      "audit.since": "Since",
      "audit.limit": "Rows",
      "audit.search": "Search",
      "audit.at": "Time",
      "audit.action": "Action",
      "audit.reason": "Reason",
      "audit.count": "{n} rows.",
    },
  };
  const LANG_KEY = "tongdai.console.lang";
  let lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "vi";

  function t(key, vars) {
    let text = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.vi[key] || key;
    if (vars) {
      text = text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
    }
    return text;
  }

  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => {
      el.textContent = t(el.dataset.i18n);
    });
    document.querySelectorAll("[data-i18n-label]").forEach((el) => {
      el.setAttribute("aria-label", t(el.dataset.i18nLabel));
    });
    state.baseTitle = t(document.body.dataset.page === "audit" ? "title.audit" : "title.console");
    updateTitle();
    const button = $("#lang");
    if (button) {
      button.textContent = t("lang.switch");
      button.lang = lang === "vi" ? "en" : "vi";
    }
  }

  // ----- small helpers -------------------------------------------------------------------------
  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  /* el("li", {class: "x", dataset: {id: 1}, text: "…"}, child…): the only way this file makes
     DOM from data, so nothing a citizen typed is ever parsed as HTML. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function i18n(tag, key, attrs) {
    return el(tag, Object.assign({ "data-i18n": key, text: t(key) }, attrs || {}));
  }

  function debounce(fn, ms) {
    let timer = null;
    return function (...args) {
      clearTimeout(timer);
      timer = setTimeout(() => fn.apply(this, args), ms);
    };
  }

  function formatTime(iso) {
    if (!iso) return "";
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    return new Intl.DateTimeFormat(lang === "vi" ? "vi-VN" : "en-GB", {
      dateStyle: "short",
      timeStyle: "short",
      timeZone: "Asia/Ho_Chi_Minh",
    }).format(date);
  }

  function announce(text) {
    const region = $("#announcer");
    if (!region) return;
    // Emptied first so that the same words twice are read twice.
    region.textContent = "";
    setTimeout(() => {
      region.textContent = text;
    }, 30);
  }

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  const state = {
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

  async function api(method, path, body) {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (method !== "GET") options.headers["X-CSRF-Token"] = state.csrf;
    let response;
    try {
      response = await fetch(path, options);
    } catch (error) {
      throw new ApiError(0, t("error.network"));
    }
    if (response.status === 401) {
      window.location.assign("/console/login");
      throw new ApiError(401, "");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    if (!response.ok) {
      throw new ApiError(response.status, (data && data.message) || t("error.generic"));
    }
    return data;
  }

  // ----- alerts: title badge and a short beep --------------------------------------------------
  let audio = null;
  function unlockAudio() {
    // Browsers start audio only after a gesture: the context is made on the first one.
    if (audio) return;
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = new Context();
    } catch (error) {
      audio = null;
    }
  }

  function beep() {
    if (!audio) return;
    try {
      if (audio.state === "suspended") audio.resume();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.25);
    } catch (error) {
      /* no sound is no reason to lose the alert */
    }
  }

  function updateTitle() {
    const n = state.alerts.size;
    document.title = (n ? `(${n}) ` : "") + state.baseTitle;
  }

  function alertFor(conversationId, key) {
    state.alerts.add(conversationId);
    updateTitle();
    beep();
    announce(t(key));
    document.body.dataset.alerts = String(Number(document.body.dataset.alerts || 0) + 1);
    renderQueue();
  }

  function seen(conversationId) {
    if (state.alerts.delete(conversationId)) updateTitle();
  }

  // ----- the queue -----------------------------------------------------------------------------
  function queueQuery(before) {
    const params = new URLSearchParams();
    params.set("view", state.view);
    const fields = {
      status: "#f-status",
      channel: "#f-channel",
      priority: "#f-priority",
      label: "#f-label",
      dossier: "#f-dossier",
      q: "#f-search",
    };
    for (const [name, selector] of Object.entries(fields)) {
      const input = $(selector);
      const value = input ? input.value.trim() : "";
      if (name === "status") params.set("status", value); // empty = every queued status
      else if (value) params.set(name, name === "dossier" ? value.toUpperCase() : value);
    }
    if (before) params.set("before", before);
    return "/console/api/queue?" + params.toString();
  }

  let queueLoading = null;
  async function loadQueue() {
    // One load at a time; a change meanwhile asks for one more after it.
    if (queueLoading) {
      queueLoading.again = true;
      return;
    }
    queueLoading = { again: false };
    try {
      const data = await api("GET", queueQuery());
      state.items = data.items || [];
      state.next = data.next || null;
      state.counts = data.counts || {};
      renderQueue();
    } catch (error) {
      if (error.status !== 401) announce(error.message);
    } finally {
      const again = queueLoading.again;
      queueLoading = null;
      if (again) loadQueue();
    }
  }
  const reloadQueue = debounce(loadQueue, 150);

  async function loadMore() {
    if (!state.next) return;
    try {
      const data = await api("GET", queueQuery(state.next));
      state.items = state.items.concat(data.items || []);
      state.next = data.next || null;
      renderQueue();
    } catch (error) {
      announce(error.message);
    }
  }

  function channelName(channel) {
    return t("channel." + channel);
  }

  function agentName(id) {
    if (!id) return t("conv.nobody");
    if (state.me && id === state.me.id) return state.me.name;
    const agent = state.agents.find((a) => a.id === id || a.agent_id === id);
    return agent ? agent.name : id;
  }

  function renderQueue() {
    const list = $("#queue");
    if (!list) return;
    for (const button of document.querySelectorAll("#views button[data-view]")) {
      button.setAttribute("aria-pressed", String(button.dataset.view === state.view));
    }
    for (const count of document.querySelectorAll("#views [data-count]")) {
      const n = state.counts[count.dataset.count];
      count.textContent = n === undefined ? "" : String(n);
    }
    list.replaceChildren(
      ...state.items.map((item) => {
        const tags = [el("span", { class: "tag", text: t("status." + item.status) })];
        if (item.priority > 0) {
          tags.push(el("span", { class: "tag p" + item.priority, text: t("priority." + item.priority) }));
        }
        if (item.escalation_reason === "complaint") {
          tags.push(el("span", { class: "tag p1", text: t("reason.complaint") }));
        }
        if (item.dossier_code) tags.push(el("span", { class: "tag", text: item.dossier_code }));
        for (const label of item.labels || []) tags.push(el("span", { class: "tag", text: "#" + label }));
        if (state.alerts.has(item.conversation_id)) tags.push(el("span", { class: "tag alert", text: "●" }));
        const who = item.citizen_name || item.address_masked || t("queue.citizen");
        return el(
          "li",
          {},
          el(
            "a",
            {
              class: "item",
              href: "#c/" + encodeURIComponent(item.conversation_id),
              dataset: { id: item.conversation_id },
              "aria-current": item.conversation_id === state.current ? "true" : null,
            },
            el(
              "span",
              { class: "line1" },
              el("span", { text: who }),
              el("span", { class: "muted", text: channelName(item.channel) })
            ),
            el("span", { class: "line2", text: item.last_text || "" }),
            el(
              "span",
              { class: "line2" },
              formatTime(item.last_at) + " · " + (item.assignee ? agentName(item.assignee) : t("queue.unassigned"))
            ),
            el("span", { class: "tags" }, tags)
          )
        );
      })
    );
    $("#queue-empty").hidden = state.items.length > 0;
    $("#queue-more").hidden = !state.next;
  }

  // ----- the conversation ----------------------------------------------------------------------
  function canAct() {
    const item = state.detail;
    if (!item || !state.me) return false;
    return item.assignee === state.me.id || isSupervisor();
  }

  function isSupervisor() {
    return state.me && (state.me.role === "supervisor" || state.me.role === "admin");
  }

  function button(id, key, onclick, extra) {
    return el("button", Object.assign({ type: "button", id, "data-i18n": key, text: t(key), onclick }, extra || {}));
  }

  function buildConversation() {
    const main = $("#conversation");
    const snooze = el(
      "select",
      { id: "snooze", onchange: onSnooze },
      el("option", { value: "", "data-i18n": "snooze.choose", text: t("snooze.choose") }),
      el("option", { value: "1h", "data-i18n": "snooze.1h", text: t("snooze.1h") }),
      el("option", { value: "4h", "data-i18n": "snooze.4h", text: t("snooze.4h") }),
      el("option", { value: "tomorrow", "data-i18n": "snooze.tomorrow", text: t("snooze.tomorrow") })
    );
    const priority = el(
      "select",
      { id: "priority", onchange: onPriority },
      [0, 1, 2].map((p) => el("option", { value: String(p), "data-i18n": "priority." + p, text: t("priority." + p) }))
    );
    const head = el(
      "div",
      { class: "conv-head" },
      el("h2", { id: "conv-title" }),
      el("dl", { id: "conv-meta", class: "meta" }),
      el("div", { id: "escalation-box" }),
      i18n("h3", "conv.actions", { class: "visually-hidden" }),
      el(
        "div",
        { class: "actions" },
        button("btn-claim", "btn.claim", onClaim, { class: "primary" }),
        button("btn-transfer", "btn.transfer", openTransfer, { "aria-haspopup": "dialog" }),
        button("btn-resolve", "btn.resolve", () => setStatus("resolved")),
        button("btn-pending", "btn.pending", () => setStatus("pending")),
        button("btn-reopen", "btn.reopen", () => setStatus("open")),
        i18n("label", "snooze.label", { for: "snooze" }),
        snooze,
        button("btn-handback", "btn.handback", onHandback),
        i18n("label", "conv.priority_field", { for: "priority" }),
        priority,
        i18n("label", "conv.labels_field", { for: "labels" }),
        el("input", { id: "labels", autocomplete: "off", "aria-describedby": "labels-hint" }),
        i18n("span", "labels.hint", { id: "labels-hint", class: "visually-hidden" }),
        button("btn-labels", "btn.labels", onLabels)
      )
    );
    // The log is the scrolling box; the messages are a list inside it.
    const messages = el(
      "div",
      {
        id: "messages",
        class: "messages",
        role: "log",
        "aria-live": "polite",
        "aria-label": t("conv.messages"),
        "data-i18n-label": "conv.messages",
        tabindex: "0",
      },
      el("ol", { id: "message-list", class: "message-list" })
    );
    const composer = el(
      "form",
      { id: "composer", class: "composer", onsubmit: onSend, novalidate: true },
      el(
        "fieldset",
        {},
        i18n("legend", "composer.mode"),
        el(
          "label",
          {},
          el("input", { type: "radio", name: "mode", id: "mode-reply", value: "reply", checked: true, onchange: onMode }),
          " ",
          i18n("span", "composer.reply")
        ),
        el(
          "label",
          {},
          el("input", { type: "radio", name: "mode", id: "mode-note", value: "note", onchange: onMode }),
          " ",
          i18n("span", "composer.note")
        )
      ),
      el("label", { for: "reply-text", id: "reply-label", class: "visually-hidden", text: t("composer.reply_label") }),
      el("ul", {
        id: "canned",
        class: "popup",
        role: "listbox",
        hidden: true,
        "aria-label": t("canned.label"),
        "data-i18n-label": "canned.label",
      }),
      el("ul", {
        id: "mention-list",
        class: "popup",
        role: "listbox",
        hidden: true,
        "aria-label": t("mention.label"),
        "data-i18n-label": "mention.label",
      }),
      el("textarea", {
        id: "reply-text",
        rows: "3",
        "aria-describedby": "composer-hint sms-counter",
        "aria-autocomplete": "list",
        oninput: onComposerInput,
        onkeydown: onComposerKey,
      }),
      el(
        "div",
        { class: "composer-foot" },
        el("span", { id: "sms-counter", class: "counter", "aria-live": "polite" }),
        i18n("span", "composer.hint", { id: "composer-hint", class: "muted" }),
        el("button", { type: "submit", id: "send", class: "primary", text: t("composer.send") })
      ),
      el("p", { id: "composer-error", class: "error", role: "alert" })
    );
    main.replaceChildren(head, messages, composer);
    state.mode = "reply";
  }

  async function openConversation(id) {
    // A conversation shown as an error (refused, gone) is built afresh when it opens after all.
    const changed = id !== state.current || !$("#conv-title");
    if (changed) {
      state.current = id;
      state.detail = null;
      state.escalation = null;
      state.messageIds = new Set();
      buildConversation();
      $("#conv-title").textContent = t("conv.loading");
      $("#citizen").replaceChildren();
      renderQueue();
    }
    seen(id);
    let data;
    try {
      data = await api("GET", "/console/api/conversations/" + encodeURIComponent(id));
    } catch (error) {
      if (state.current !== id) return;
      const key = error.status === 403 ? "conv.forbidden" : error.status === 404 ? "conv.missing" : null;
      $("#conversation").replaceChildren(
        el("p", { class: "error", role: "alert", id: "conv-error", text: key ? t(key) : error.message })
      );
      state.detail = null;
      return;
    }
    if (state.current !== id) return; // the agent moved on meanwhile
    showDetail(data, changed);
    if (changed) loadCitizen(id); // once per opening: each load is an audited view
  }

  function itemOf(data) {
    // The item's fields at the top, or under "conversation"/"item": either shape is read.
    return Object.assign({}, data.item || data.conversation || data);
  }

  function showDetail(data, fresh) {
    const item = itemOf(data);
    state.detail = item;
    renderHead(item, data);
    const messages = data.messages || item.messages || [];
    if (fresh) {
      $("#message-list").replaceChildren();
      state.messageIds = new Set();
    }
    for (const message of messages) addMessage(message, false);
    if (fresh) scrollMessages();
    updateComposer();
  }

  function metaRow(key, value) {
    return el("div", {}, i18n("dt", key), el("dd", {}, value));
  }

  function renderHead(item, data) {
    const who = item.citizen_name || item.address_masked || t("queue.citizen");
    $("#conv-title").textContent = who + " · " + channelName(item.channel);
    const meta = [
      metaRow("conv.status", t("status." + (item.status || "bot"))),
      metaRow("conv.priority", t("priority." + (item.priority || 0))),
      metaRow("conv.assignee", agentName(item.assignee)),
      metaRow("conv.channel", channelName(item.channel)),
    ];
    if (item.address_masked) meta.push(metaRow("conv.address", item.address_masked));
    if (item.dossier_code) meta.push(metaRow("conv.dossier", item.dossier_code));
    if (item.snooze_until) meta.push(metaRow("conv.snoozed_until", formatTime(item.snooze_until)));
    $("#conv-meta").replaceChildren(...meta);

    if (data.escalation) state.escalation = data.escalation;
    renderEscalation(item);
    renderActions(item);
  }

  function renderEscalation(item) {
    // The reason is the item's; the transcript comes with the citizen panel (the conversation's escalation).
    const escalation = state.escalation || {};
    const reason = item.escalation_reason || escalation.reason;
    const transcript = escalation.transcript || [];
    const box = $("#escalation-box");
    if (!box) return;
    const wasOpen = Boolean($("#escalation") && $("#escalation").open);
    box.replaceChildren();
    if (reason || transcript.length) {
      const lines = transcript.map((m) =>
        el(
          "li",
          {},
          el("b", { text: (m.direction === "in" ? t("who.citizen") : t("who.assistant")) + ": " }),
          m.text || "",
          el("span", { class: "muted", text: " · " + formatTime(m.at) })
        )
      );
      box.append(
        el(
          "details",
          { id: "escalation", class: "escalation" },
          el("summary", {}, t("conv.reason") + ": " + (reason ? t("reason." + reason) : "—")),
          lines.length ? el("p", { class: "muted", text: t("conv.transcript") }) : null,
          lines.length ? el("ol", {}, lines) : null
        )
      );
      $("#escalation").open = wasOpen;
    }
  }

  function renderActions(item) {
    const act = canAct();
    // Someone has it: a supervisor takes it over with "Chuyển…", never by a claim that would fail.
    $("#btn-claim").hidden = Boolean(item.assignee);
    $("#btn-resolve").hidden = item.status === "resolved";
    $("#btn-pending").hidden = item.status === "pending" || item.status === "resolved";
    $("#btn-reopen").hidden = item.status === "open" || !item.status;
    for (const id of ["#btn-resolve", "#btn-pending", "#btn-reopen", "#btn-handback", "#snooze", "#btn-transfer"]) {
      $(id).disabled = !act && !(id === "#btn-transfer" && isSupervisor());
    }
    $("#priority").value = String(item.priority || 0);
    const labels = $("#labels");
    if (document.activeElement !== labels) labels.value = (item.labels || []).join(", ");
  }

  // A temporary failure is retried: it is still on its way, not failed.
  const FAILED = new Set(["failed", "permanent_failure", "technical_failure", "cancelled"]);

  function deliveryBadge(delivery) {
    if (!delivery) return null;
    const status = delivery.status || "";
    let key = "delivery.wait";
    let cls = "wait";
    if (status === "delivered") [key, cls] = ["delivery.delivered", "ok"];
    else if (status === "sent") [key, cls] = ["delivery.sent", "ok"];
    else if (FAILED.has(status)) [key, cls] = ["delivery.failed", "failed"];
    const text = t(key) + (cls === "failed" && delivery.reason ? ": " + delivery.reason : "");
    return el("span", {
      class: "delivery " + cls,
      dataset: { status },
      title: t("delivery.label"),
      text: "· " + text,
    });
  }

  function messageNode(message) {
    const kind = message.kind || "message";
    let cls = "msg-in";
    let who = message.author_name || t("who.citizen");
    if (kind === "note") {
      cls = "msg-note";
      who = agentName(message.author);
    } else if (kind === "activity") {
      cls = "msg-activity";
      who = t("who.system");
    } else if (message.direction === "out" || message.author) {
      cls = message.author ? "msg-out" : "msg-bot";
      who = message.author ? agentName(message.author) : t("who.assistant");
    } else if (state.detail && state.detail.citizen_name) {
      who = state.detail.citizen_name;
    }
    const header = el(
      "span",
      { class: "who" },
      kind === "note" ? el("span", { class: "kind", text: t("who.note") }) : null,
      el("b", { text: who }),
      el("time", { datetime: message.at || "", text: formatTime(message.at) }),
      message.channel && kind === "message" ? el("span", { text: channelName(message.channel) }) : null,
      kind === "message" && message.author ? deliveryBadge(message.delivery) : null
    );
    return el(
      "li",
      { class: "msg " + cls, dataset: { id: String(message.id) } },
      header,
      el("div", { class: "text", text: message.text || "" })
    );
  }

  function addMessage(message, live) {
    const box = $("#messages");
    const list = $("#message-list");
    if (!list || message === null || message === undefined) return;
    const id = String(message.id);
    if (state.messageIds.has(id)) {
      const old = list.querySelector(`li[data-id="${CSS.escape(id)}"]`);
      if (old) old.replaceWith(messageNode(message));
      return;
    }
    state.messageIds.add(id);
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    list.append(messageNode(message));
    if (!live || nearBottom) scrollMessages();
  }

  function scrollMessages() {
    const list = $("#messages");
    if (list) list.scrollTop = list.scrollHeight;
  }

  function setDelivery(messageId, delivery) {
    const node = document.querySelector(`#messages li[data-id="${CSS.escape(String(messageId))}"]`);
    if (!node) return;
    const old = node.querySelector(".delivery");
    const badge = deliveryBadge(delivery);
    if (old && badge) old.replaceWith(badge);
    else if (badge) node.querySelector(".who").append(badge);
  }

  // ----- the actions ---------------------------------------------------------------------------
  function convPath(suffix) {
    return "/console/api/conversations/" + encodeURIComponent(state.current) + "/" + suffix;
  }

  async function act(suffix, body, doneKey) {
    const id = state.current;
    try {
      await api("POST", convPath(suffix), body === undefined ? {} : body);
      if (doneKey) announce(t(doneKey));
      if (state.current === id) await openConversation(id);
      loadQueue();
      return true;
    } catch (error) {
      showError(error.message);
      if (state.current === id && error.status === 409) await openConversation(id);
      return false;
    }
  }

  function showError(text) {
    const box = $("#composer-error");
    if (box) box.textContent = text;
    else announce(text);
  }

  function onClaim() {
    act("claim", {}, "done.claimed");
  }

  function setStatus(status, snoozeUntil) {
    if (!state.current) return;
    const body = { status };
    if (snoozeUntil) body.snooze_until = snoozeUntil;
    act("status", body, "done.status");
  }

  function onSnooze(event) {
    const choice = event.target.value;
    if (!choice) return;
    const until = new Date();
    if (choice === "1h") until.setHours(until.getHours() + 1);
    else if (choice === "4h") until.setHours(until.getHours() + 4);
    else {
      until.setDate(until.getDate() + 1);
      until.setHours(8, 0, 0, 0);
    }
    event.target.value = "";
    setStatus("snoozed", until.toISOString());
  }

  function onHandback() {
    act("handback", {}, "done.status");
  }

  function onPriority(event) {
    act("priority", { priority: Number(event.target.value) }, "done.saved");
  }

  function onLabels() {
    const labels = $("#labels")
      .value.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    act("labels", { labels }, "done.saved");
  }

  // Transfer: a native dialog, built once.
  function transferDialog() {
    let dialog = $("#transfer");
    if (dialog) return dialog;
    dialog = el(
      "dialog",
      { id: "transfer", "aria-labelledby": "transfer-title" },
      i18n("h2", "transfer.title", { id: "transfer-title" }),
      el(
        "form",
        { method: "dialog", onsubmit: onTransfer },
        i18n("label", "transfer.agent", { for: "transfer-agent" }),
        el("select", { id: "transfer-agent", required: true }),
        i18n("label", "transfer.note", { for: "transfer-note" }),
        el("textarea", { id: "transfer-note", rows: "3" }),
        el(
          "p",
          { class: "actions" },
          el("button", { type: "submit", id: "transfer-ok", class: "primary", "data-i18n": "transfer.ok", text: t("transfer.ok") }),
          el("button", {
            type: "button",
            id: "transfer-cancel",
            "data-i18n": "cancel",
            text: t("cancel"),
            onclick: () => dialog.close(),
          })
        )
      )
    );
    document.body.append(dialog);
    return dialog;
  }

  async function openTransfer() {
    if (!state.current) return;
    await loadAgents();
    const dialog = transferDialog();
    const select = $("#transfer-agent");
    const options = state.agents
      .filter((a) => (a.id || a.agent_id) !== (state.detail && state.detail.assignee) && !a.disabled)
      .map((a) => {
        const presence = a.presence ? " · " + t("presence." + a.presence) : "";
        const team = a.team ? " · " + a.team : "";
        return el("option", { value: "agent:" + (a.id || a.agent_id), text: a.name + team + presence });
      });
    // Or to a team's unassigned queue, where its agents (and auto-assignment) pick it up.
    const teams = Array.from(new Set(state.agents.map((a) => a.team).filter(Boolean))).sort();
    const teamOptions = teams.map((team) =>
      el("option", { value: "team:" + team, text: t("transfer.team_only", { team }) })
    );
    select.replaceChildren(...options, ...teamOptions);
    $("#transfer-note").value = "";
    dialog.showModal();
    select.focus();
  }

  async function onTransfer(event) {
    event.preventDefault();
    const choice = $("#transfer-agent").value;
    if (!choice) return;
    const [kind, target] = [choice.slice(0, choice.indexOf(":")), choice.slice(choice.indexOf(":") + 1)];
    const note = $("#transfer-note").value.trim() || null;
    const body = kind === "team" ? { team: target, note } : { agent_id: target, note };
    $("#transfer").close();
    if (isSupervisor()) {
      await act("assign", body, "done.transfer");
      return;
    }
    // An agent gives the conversation away: it is no longer theirs to see.
    try {
      await api("POST", convPath("assign"), body);
    } catch (error) {
      showError(error.message);
      return;
    }
    closeConversation(t("done.transfer_to", { name: kind === "team" ? target : agentName(target) }));
    loadQueue();
  }

  function closeConversation(message) {
    state.current = null;
    state.detail = null;
    state.escalation = null;
    history.replaceState(null, "", window.location.pathname + window.location.search);
    $("#conversation").replaceChildren(el("p", { id: "conv-done", class: "muted", role: "status", text: message }));
    $("#citizen").replaceChildren();
    announce(message);
    renderQueue();
  }

  async function loadAgents() {
    try {
      const data = await api("GET", "/console/api/agents");
      state.agents = data.agents || data.items || [];
    } catch (error) {
      state.agents = state.agents || [];
    }
  }

  // ----- the composer: reply, note, SMS counter, canned responses, mentions -------------------
  function onMode() {
    state.mode = $("#mode-note").checked ? "note" : "reply";
    $("#sms-counter").textContent = "";
    hidePopups();
    updateComposer();
  }

  function setMode(mode) {
    const radio = $(mode === "note" ? "#mode-note" : "#mode-reply");
    if (!radio) return;
    radio.checked = true;
    onMode();
    $("#reply-text").focus();
  }

  function updateComposer() {
    const form = $("#composer");
    if (!form) return;
    const note = state.mode === "note";
    form.classList.toggle("note", note);
    $("#reply-label").textContent = t(note ? "composer.note_label" : "composer.reply_label");
    $("#send").textContent = t(note ? "composer.send_note" : "composer.send");
    if (!note) smsPreview();
  }

  const smsPreview = debounce(async function () {
    const counter = $("#sms-counter");
    const item = state.detail;
    if (!counter || !item || item.channel !== "sms" || state.mode !== "reply") return;
    const text = $("#reply-text").value;
    if (!text) {
      counter.textContent = "";
      return;
    }
    try {
      const data = await api("GET", "/console/api/sms-preview?text=" + encodeURIComponent(text));
      if ($("#reply-text").value !== text) return; // typed on meanwhile: the next preview comes
      counter.textContent = t("sms.counter", data);
    } catch (error) {
      counter.textContent = "";
    }
  }, 250);

  async function onSend(event) {
    if (event) event.preventDefault();
    const box = $("#reply-text");
    const text = box.value.trim();
    const error = $("#composer-error");
    error.textContent = "";
    if (!text) {
      error.textContent = t("composer.empty");
      return;
    }
    const note = state.mode === "note";
    if (!note && !canAct()) {
      error.textContent = t("composer.not_mine");
      return;
    }
    const id = state.current;
    const send = $("#send");
    send.disabled = true;
    try {
      const message = await api("POST", convPath(note ? "notes" : "reply"), { text });
      box.value = "";
      $("#sms-counter").textContent = "";
      announce(t(note ? "done.note" : "done.sent"));
      if (state.current === id && message) addMessage(message.message || message, false);
      loadQueue();
    } catch (err) {
      error.textContent = err.message;
    } finally {
      send.disabled = false;
    }
  }

  function hidePopups() {
    for (const id of ["#canned", "#mention-list"]) {
      const popup = $(id);
      if (popup) popup.hidden = true;
    }
    const box = $("#reply-text");
    if (box) {
      box.removeAttribute("aria-activedescendant");
      box.removeAttribute("aria-controls");
    }
  }

  /* The word being typed just before the caret, when it starts with `sigil`. */
  function tokenAtCaret(box, sigil) {
    const before = box.value.slice(0, box.selectionStart);
    const match = before.match(new RegExp("(^|\\s)\\" + sigil + "([^\\s" + sigil + "]*)$"));
    if (!match) return null;
    return { query: match[2], start: before.length - match[2].length - 1, end: box.selectionStart };
  }

  function onComposerInput() {
    const box = $("#reply-text");
    const slash = tokenAtCaret(box, "/");
    const at = state.mode === "note" ? tokenAtCaret(box, "@") : null;
    if (slash) cannedSearch(slash);
    else if (at) mentionSearch(at);
    else hidePopups();
    if (state.mode === "reply") smsPreview();
  }

  function showPopup(popup, items, onPick) {
    hidePopups();
    const box = $("#reply-text");
    popup.replaceChildren(
      ...items.map((item, index) =>
        el(
          "li",
          {
            role: "option",
            id: popup.id + "-" + index,
            "aria-selected": index === 0 ? "true" : "false",
            onmousedown: (event) => {
              event.preventDefault(); // keep the focus in the box
              onPick(item);
            },
          },
          el("b", { text: item.label }),
          item.sub ? el("span", { class: "sub", text: item.sub }) : null
        )
      )
    );
    popup.pick = (index) => onPick(items[index]);
    popup.hidden = false;
    box.setAttribute("aria-controls", popup.id);
    if (items.length) box.setAttribute("aria-activedescendant", popup.id + "-0");
  }

  function openPopup() {
    for (const id of ["#canned", "#mention-list"]) {
      const popup = $(id);
      if (popup && !popup.hidden) return popup;
    }
    return null;
  }

  function movePopup(popup, step) {
    const options = Array.from(popup.querySelectorAll("[role=option]"));
    if (!options.length) return;
    let index = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
    index = (index + step + options.length) % options.length;
    options.forEach((o, i) => o.setAttribute("aria-selected", String(i === index)));
    options[index].scrollIntoView({ block: "nearest" });
    $("#reply-text").setAttribute("aria-activedescendant", options[index].id);
  }

  function replaceToken(token, text) {
    const box = $("#reply-text");
    box.value = box.value.slice(0, token.start) + text + box.value.slice(token.end);
    const caret = token.start + text.length;
    box.setSelectionRange(caret, caret);
    box.focus();
    hidePopups();
    onComposerInputQuiet();
  }

  function onComposerInputQuiet() {
    if (state.mode === "reply") smsPreview();
  }

  let cannedAsked = 0;
  const cannedSearch = debounce(async function (token) {
    const asked = ++cannedAsked;
    let items = [];
    try {
      const data = await api("GET", "/console/api/canned?q=" + encodeURIComponent(token.query));
      items = data.items || [];
    } catch (error) {
      items = [];
    }
    if (asked !== cannedAsked) return;
    const popup = $("#canned");
    if (!popup) return;
    const box = $("#reply-text");
    if (!tokenAtCaret(box, "/")) return; // the slash was deleted meanwhile
    if (!items.length) {
      hidePopups();
      popup.replaceChildren(el("li", { role: "option", "aria-disabled": "true", text: t("canned.none") }));
      popup.pick = () => hidePopups();
      popup.hidden = false;
      return;
    }
    showPopup(
      popup,
      items.map((c) => ({ label: "/" + c.shortcut + " · " + (c.title || ""), sub: c.body, canned: c })),
      (choice) => useCanned(choice.canned, token)
    );
  }, 120);

  async function useCanned(canned, token) {
    const id = state.current;
    let text = canned.body || "";
    try {
      const data = await api("POST", "/console/api/canned/" + encodeURIComponent(canned.id) + "/render", {
        conversation_id: id,
      });
      text = data.text || data.body || data.rendered || text;
    } catch (error) {
      showError(error.message);
    }
    if (state.current !== id) return;
    const box = $("#reply-text");
    const now = tokenAtCaret(box, "/") || token;
    replaceToken(now, text);
  }

  function fold(text) {
    return (text || "")
      .replace(/[đĐ]/g, "d")
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase();
  }

  // What contact_center/mentions.py answers to: the email's local part, or the name without diacritics.
  function mentionHandle(agent) {
    if (agent.handle) return agent.handle;
    if (agent.email) return agent.email.split("@")[0].toLowerCase();
    return fold(agent.name).replace(/[^a-z0-9]+/g, "");
  }

  async function mentionSearch(token) {
    if (!state.agents.length) await loadAgents();
    const query = token.query.toLowerCase();
    const matches = state.agents
      .filter((a) => !a.disabled && (a.id || a.agent_id) !== (state.me && state.me.id))
      .filter((a) => fold(a.name).includes(fold(query)) || fold(mentionHandle(a)).includes(fold(query)))
      .slice(0, 8);
    const popup = $("#mention-list");
    if (!popup || !matches.length) {
      hidePopups();
      return;
    }
    showPopup(
      popup,
      matches.map((a) => ({ label: a.name, sub: "@" + mentionHandle(a), agent: a })),
      (choice) => replaceToken(token, "@" + mentionHandle(choice.agent) + " ")
    );
  }

  function onComposerKey(event) {
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      onSend();
      return;
    }
    const popup = openPopup();
    if (!popup) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      movePopup(popup, event.key === "ArrowDown" ? 1 : -1);
    } else if (event.key === "Enter" || event.key === "Tab") {
      const options = Array.from(popup.querySelectorAll("[role=option]"));
      const index = options.findIndex((o) => o.getAttribute("aria-selected") === "true");
      if (index >= 0 && popup.pick) {
        event.preventDefault();
        popup.pick(index);
      }
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      hidePopups();
    }
  }

  // ----- the citizen panel ---------------------------------------------------------------------
  async function loadCitizen(id) {
    const panel = $("#citizen");
    let data;
    try {
      data = await api("GET", "/console/api/conversations/" + encodeURIComponent(id) + "/citizen");
    } catch (error) {
      if (state.current === id) panel.replaceChildren(el("p", { class: "muted", text: error.message }));
      return;
    }
    if (state.current !== id) return;
    state.escalation = (data && data.escalation) || null;
    if (state.detail) renderEscalation(state.detail);
    renderCitizen(data || {});
  }

  function section(key, items, render) {
    return [
      i18n("h3", key),
      items && items.length ? el("ul", {}, items.map(render)) : i18n("p", "citizen.none", { class: "muted" }),
    ];
  }

  function renderCitizen(data) {
    const panel = $("#citizen");
    const citizen = data.citizen || null;
    const name = (citizen && (citizen.full_name || citizen.name)) || t("citizen.unknown");
    const contacts = (citizen && citizen.contacts) || data.contacts || [];
    const dossiers = data.dossiers || [];
    const notices = data.notices || data.notifications || [];
    const others = (data.conversations || []).filter((c) => (c.id || c.conversation_id) !== state.current);
    panel.replaceChildren(
      i18n("h2", "citizen.title"),
      el("p", { id: "citizen-name" }, el("b", { text: name })),
      ...section("citizen.contacts", contacts, (c) =>
        el("li", { class: "contact" }, channelName(c.channel) + ": " + (c.address_masked || c.address || c.masked || ""))
      ),
      ...section("citizen.dossiers", dossiers, (d) =>
        el(
          "li",
          { class: "dossier box", dataset: { code: d.code || "" } },
          el("b", { text: d.code || "" }),
          el("div", { text: d.procedure || "" }),
          el("div", { class: "muted", text: d.status_label || d.status || "" }),
          d.timeline && d.timeline.length
            ? el(
                "ol",
                { class: "timeline" },
                d.timeline.map((step) =>
                  el(
                    "li",
                    {},
                    el("time", { datetime: step.at || "", text: formatTime(step.at) }),
                    " · " + (step.status_label || step.label || step.status || "") + (step.note ? " — " + step.note : "")
                  )
                )
              )
            : null
        )
      ),
      ...section("citizen.notices", notices, (n) =>
        el(
          "li",
          { class: "notice box" },
          el("span", { class: "muted" }, formatTime(n.at || n.created_at) + " · " + channelName(n.channel)),
          el("div", { text: n.text || n.body || n.subject || "" }),
          deliveryBadge({ status: n.status, reason: n.reason_label || n.reason })
        )
      ),
      ...section("citizen.others", others, (c) => {
        const id = c.id || c.conversation_id;
        const status = c.queue_status || c.status;
        return el(
          "li",
          { class: "other-conv box" },
          el("a", { href: "#c/" + encodeURIComponent(id), text: channelName(c.channel) + " · " + formatTime(c.last_message_at || c.last_at || c.started_at) }),
          status ? el("span", { class: "muted", text: " · " + t("status." + status) }) : null,
          c.messages && c.messages.length
            ? el("div", { class: "muted", text: (c.messages[c.messages.length - 1].text || "").slice(0, 140) })
            : null
        );
      })
    );
  }

  // ----- live: the websocket, reconnect with backoff, resync by seq ---------------------------
  function showBanner(down) {
    const banner = $("#banner");
    if (!banner) return;
    banner.textContent = down ? t("banner.down") : "";
    banner.hidden = !down;
  }

  function connect() {
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

  function scheduleReconnect() {
    // 0.5 s, 1 s, 2 s … up to 15 s, with jitter so that a restarted server is not hit by every console at once.
    const delay = Math.min(15000, 500 * 2 ** state.retries) * (0.75 + Math.random() * 0.5);
    state.retries = Math.min(state.retries + 1, 6);
    setTimeout(connect, delay);
  }

  async function resync() {
    // After a (re)connect: the queue and the open conversation as they are now, then the banner goes.
    await Promise.all([loadQueue(), state.current ? openConversation(state.current) : null]);
    state.retries = 0;
    showBanner(false);
    document.body.dataset.live = "up";
  }

  function onFrame(frame) {
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

  function handleEvent(frame) {
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

  // ----- keyboard ------------------------------------------------------------------------------
  function typing(target) {
    if (!target || !target.tagName) return false;
    const tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function step(by) {
    const links = Array.from(document.querySelectorAll("#queue a.item"));
    if (!links.length) return;
    let index = links.findIndex((a) => a.dataset.id === state.current);
    index = index < 0 ? (by > 0 ? 0 : links.length - 1) : Math.max(0, Math.min(links.length - 1, index + by));
    links[index].focus();
    window.location.hash = "#c/" + encodeURIComponent(links[index].dataset.id);
  }

  function onKey(event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (typing(event.target)) return; // never steal a key from a field (Ctrl+Enter is the box's own)
    if ($("dialog[open]")) return;
    const key = event.key;
    if (key === "j" || key === "k") {
      event.preventDefault();
      step(key === "j" ? 1 : -1);
    } else if (key === "r" && state.current && $("#reply-text")) {
      event.preventDefault();
      setMode("reply");
    } else if (key === "n" && state.current && $("#reply-text")) {
      event.preventDefault();
      setMode("note");
    } else if (key === "e" && state.current && state.detail && state.detail.status !== "resolved") {
      event.preventDefault();
      setStatus("resolved");
    } else if (key === "/" && state.current && $("#reply-text")) {
      event.preventDefault();
      const box = $("#reply-text");
      box.focus();
      const before = box.value.slice(0, box.selectionStart);
      const sep = before && !/\s$/.test(before) ? " " : "";
      box.setRangeText(sep + "/", box.selectionStart, box.selectionEnd, "end");
      onComposerInput();
    } else if (key === "?") {
      event.preventDefault();
      $("#help").showModal();
    }
  }

  // ----- start ---------------------------------------------------------------------------------
  function fromHash() {
    const match = window.location.hash.match(/^#c\/(.+)$/);
    return match ? decodeURIComponent(match[1]) : null;
  }

  function onHash() {
    const id = fromHash();
    if (id && id !== state.current) openConversation(id);
  }

  function commonStart() {
    applyLanguage();
    $("#lang").addEventListener("click", () => {
      lang = lang === "vi" ? "en" : "vi";
      localStorage.setItem(LANG_KEY, lang);
      applyLanguage();
      renderQueue();
      if (state.current && state.detail) openConversation(state.current);
    });
    $("#help-open").addEventListener("click", () => $("#help").showModal());
  }

  async function loadMe() {
    try {
      state.me = await api("GET", "/console/api/me");
      if (state.me.csrf_token) state.csrf = state.me.csrf_token;
    } catch (error) {
      state.me = { id: document.body.dataset.agent, role: document.body.dataset.role, name: "" };
    }
  }

  async function startConsole() {
    commonStart();
    document.addEventListener("keydown", onKey);
    for (const gesture of ["pointerdown", "keydown"]) document.addEventListener(gesture, unlockAudio, { once: true });
    for (const b of document.querySelectorAll("#views button[data-view]")) {
      b.addEventListener("click", () => {
        state.view = b.dataset.view;
        renderQueue();
        loadQueue();
      });
    }
    $("#filters").addEventListener("submit", (event) => {
      event.preventDefault();
      loadQueue();
    });
    for (const id of ["#f-channel", "#f-status", "#f-priority"]) $(id).addEventListener("change", () => loadQueue());
    for (const id of ["#f-search", "#f-label", "#f-dossier"]) $(id).addEventListener("input", debounce(loadQueue, 300));
    $("#queue-more").addEventListener("click", loadMore);
    $("#presence").addEventListener("change", async (event) => {
      try {
        await api("POST", "/console/api/presence", { presence: event.target.value });
      } catch (error) {
        announce(error.message);
      }
    });
    window.addEventListener("hashchange", onHash);

    await loadMe();
    await loadAgents();
    const self = state.agents.find((a) => (a.id || a.agent_id) === state.me.id);
    if (self && self.presence) $("#presence").value = self.presence;
    if (!state.counts.mine && state.view === "mine") state.view = "mine";
    connect();
    await loadQueue();
    onHash();
  }

  async function startAudit() {
    commonStart();
    await loadMe();
    const form = $("#audit-filters");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      loadAudit();
    });
    loadAudit();
  }

  async function loadAudit() {
    const params = new URLSearchParams();
    for (const [name, selector] of [
      ["agent", "#a-agent"],
      ["object_type", "#a-type"],
      ["object_id", "#a-object"],
      ["since", "#a-since"],
      ["limit", "#a-limit"],
    ]) {
      let value = $(selector).value.trim();
      if (value && name === "since") value += "T00:00:00+07:00"; // a day in Vietnam, from its start
      if (value) params.set(name, value);
    }
    const status = $("#audit-status");
    try {
      const data = await api("GET", "/console/api/audit?" + params.toString());
      const rows = data.entries || [];
      $("#audit-table tbody").replaceChildren(
        ...rows.map((r) =>
          el(
            "tr",
            {},
            el("td", {}, el("time", { datetime: r.at || "", text: formatTime(r.at) })),
            el("td", { text: r.agent || "" }),
            el("td", { text: r.action || "" }),
            el("td", { text: r.object_type || "" }),
            el("td", { text: r.object_id || "" }),
            el("td", { text: r.reason || "" })
          )
        )
      );
      status.textContent = t("audit.count", { n: rows.length });
    } catch (error) {
      status.textContent = error.message;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const page = document.body.dataset.page;
    if (page === "console") startConsole();
    else if (page === "audit") startAudit();
  });
})();
