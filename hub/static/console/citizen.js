import { api } from "./api.js";
import { deliveryBadge, renderEscalation } from "./conversation.js";
import { $, el } from "./dom.js";
import { formatTime, i18n, t } from "./i18n.js";
import { mergeSection } from "./merge.js";
import { channelName } from "./queue.js";
import { state } from "./state.js";

// ----- the citizen panel ---------------------------------------------------------------------
export async function loadCitizen(id) {
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

export function section(key, items, render) {
  return [
    i18n("h3", key),
    items && items.length ? el("ul", {}, items.map(render)) : i18n("p", "citizen.none", { class: "muted" }),
  ];
}

export function renderCitizen(data) {
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
    }),
    ...mergeSection(citizen)
  );
}
