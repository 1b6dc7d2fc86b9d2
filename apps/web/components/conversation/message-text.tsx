import { Fragment } from "react";

import { splitLinks } from "../../lib/links";

/** A message's text with its http, https and mailto links clickable; the rest stays text. */
export function MessageText({ text, own }: { text: string; own: boolean }) {
  return splitLinks(text).map((part, index) =>
    part.kind === "link" ? (
      <a
        key={index}
        href={part.href}
        target="_blank"
        rel="noopener noreferrer"
        className={`underline underline-offset-2 ${own ? "text-white decoration-white/60" : "text-sky-700 decoration-sky-700/40 dark:text-sky-300"}`}
      >
        {part.text}
      </a>
    ) : (
      <Fragment key={index}>{part.text}</Fragment>
    ),
  );
}
