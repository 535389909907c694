// The session record both people keep: question, next step, notes, chat (code blocks and links
// rendered like in the call), length, extension and credit; and its Markdown download.
import { api } from "./api.js";
import { el, formatDuration } from "./dom.js";
import { rich } from "./richtext.js";

function section(title, children) {
  return el("section", { class: "record-part" }, [el("h3", { text: title }), ...children]);
}

/** The record as nodes, from the point of view of `me` (a user id); `question: false` where the
 * page shows the question already. */
export function renderRecord(record, me, { question = true } = {}) {
  const names = { [record.mentor.id]: record.mentor.name, [record.mentee.id]: record.mentee.name };
  const facts = [`Length ${formatDuration(record.duration_s)}`];
  if (record.extended_s) facts.push(`extended by ${Math.round(record.extended_s / 60)} min`);
  if (record.credited_s) facts.push(`${record.credited_s} s credited for a dropped connection`);
  const chat = record.chat.length
    ? el("ol", { class: "chat-log record-chat" }, record.chat.map((message) => el("li", { class: message.from === me ? "mine" : "theirs" }, [
      el("p", { class: "who", text: `${message.from === me ? "You" : names[message.from] || "Them"} · ${new Date(message.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}` }),
      el("div", { class: "body" }, [rich(message.text)]),
    ])))
    : el("p", { class: "muted", text: "No messages." });
  return [
    el("p", { class: "meta", text: `${record.mentor.name} mentored ${record.mentee.name} · ${record.skill_name} · ${facts.join(" · ")}` }),
    question ? section("Question", [el("div", { class: "question-card rich" }, [rich(record.question)])]) : null,
    section("Next step", [el("p", { class: "next-step", text: record.next_step || "None written in the notes." })]),
    section("Notes", [el("pre", { class: "notes-copy", text: record.notes || "No notes." })]),
    section("Chat", [chat]),
  ].filter(Boolean);
}

/** Save the record as a Markdown file (fetched with this login, then handed to the browser). */
export async function downloadRecord(sessionId) {
  const text = await api.sessionMarkdown(sessionId);
  const url = URL.createObjectURL(new Blob([text], { type: "text/markdown" }));
  const link = el("a", { href: url, download: `mentorburst-session-${sessionId}.md` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
