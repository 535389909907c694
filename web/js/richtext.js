// Text someone typed, shown safely and usefully: fenced code blocks in monospace with a copy
// button, http(s) links clickable, everything else as plain text. Deliberately tiny rather than a
// Markdown parser plus a sanitiser: the contract is plain text in, and these two forms are all a
// mentoring chat needs; every piece goes into the page through textContent, never as HTML.
import { el } from "./dom.js";

const FENCE = /^```([\w+-]*)[ \t]*$/;
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/g;
const TRAILING = /[.,;:!?'"]+$/;

/** Split text into [{code: false, text}] and [{code: true, lang, text}] parts. An unclosed fence
 * runs to the end, as a half-pasted block would in any chat. */
export function parts(text) {
  const out = [];
  let prose = [];
  let code = null;
  for (const line of text.split("\n")) {
    const fence = FENCE.exec(line.trim());
    if (code === null && fence) {
      if (prose.length) out.push({ code: false, text: prose.join("\n") });
      prose = [];
      code = { code: true, lang: fence[1], lines: [] };
    } else if (code !== null && line.trim() === "```") {
      out.push({ code: true, lang: code.lang, text: code.lines.join("\n") });
      code = null;
    } else if (code !== null) {
      code.lines.push(line);
    } else {
      prose.push(line);
    }
  }
  if (code !== null) out.push({ code: true, lang: code.lang, text: code.lines.join("\n") });
  else if (prose.length) out.push({ code: false, text: prose.join("\n") });
  return out.filter((part) => part.code || part.text.trim() !== "");
}

/** A link's visible end: trailing punctuation and an unmatched ")" belong to the sentence. */
function trimUrl(url) {
  let trimmed = url.replace(TRAILING, "");
  while (trimmed.endsWith(")") && (trimmed.match(/\(/g) || []).length < (trimmed.match(/\)/g) || []).length) {
    trimmed = trimmed.slice(0, -1).replace(TRAILING, "");
  }
  return trimmed;
}

/** Plain text with its http(s) links as anchors that open in a new tab, without an opener. */
export function linkified(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = trimUrl(match[0]);
    if (match.index > last) fragment.append(text.slice(last, match.index));
    fragment.append(el("a", { href: url, text: url, target: "_blank", rel: "noopener noreferrer" }));
    last = match.index + url.length;
  }
  if (last < text.length) fragment.append(text.slice(last));
  return fragment;
}

function codeBlock(part) {
  const copy = el("button", { type: "button", class: "copy", text: "Copy" });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(part.text);
      copy.textContent = "Copied";
    } catch {
      copy.textContent = "Select and copy";
    }
    setTimeout(() => { copy.textContent = "Copy"; }, 2000);
  });
  const label = part.lang ? el("span", { class: "lang", text: part.lang }) : null;
  return el("div", { class: "code-block" }, [
    el("div", { class: "code-bar" }, [label, copy]),
    el("pre", {}, [el("code", { text: part.text })]),
  ]);
}

/** The whole message (or question) as nodes: paragraphs of linkified text and code blocks. */
export function rich(text) {
  const fragment = document.createDocumentFragment();
  for (const part of parts(text)) {
    fragment.append(part.code ? codeBlock(part) : el("p", { class: "prose" }, [linkified(part.text)]));
  }
  return fragment;
}
