// An email a play sends, as its two parts: the text the play's author wrote, and the same text as
// HTML (escaped, paragraphs kept, links made clickable). Both end with how to stop these emails.
import { escapeHtml } from './html';

export interface EmailBody {
  text: string;
  html: string;
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g;

/** The HTML of one paragraph of text: escaped, line breaks kept, web addresses as links. */
function paragraphHtml(paragraph: string): string {
  let html = '';
  let last = 0;
  for (const match of paragraph.matchAll(URL_IN_TEXT)) {
    const url = match[0];
    html +=
      escapeHtml(paragraph.slice(last, match.index)) + `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`;
    last = match.index + url.length;
  }
  html += escapeHtml(paragraph.slice(last));
  return `<p>${html.replace(/\r?\n/g, '<br>\n')}</p>`;
}

export function composeEmail(body: string, unsubscribeUrl: string | null): EmailBody {
  const paragraphs = body
    .trim()
    .split(/\r?\n\s*\r?\n/)
    .filter((paragraph) => paragraph.trim() !== '');
  const footerText = unsubscribeUrl ? `To receive no more of these emails: ${unsubscribeUrl}` : null;
  const text = [body.trim(), ...(footerText ? ['--', footerText] : [])].join('\n\n');
  const footerHtml = unsubscribeUrl
    ? `<p style="color:#666;font-size:12px">You can <a href="${escapeHtml(unsubscribeUrl)}">unsubscribe</a> from these emails.</p>`
    : '';
  const html =
    '<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">\n' +
    paragraphs.map(paragraphHtml).join('\n') +
    `\n${footerHtml}\n</body></html>\n`;
  return { text: `${text}\n`, html };
}
