import { invalidArgument } from "@symphony/kit";
import { ShareArticle, type MessageContent } from "@symphony/proto/agent/v1/model";
import { escapeXml } from "./markup-policy.js";

export const ARTICLE_TYPE = "com.symphony.sharing.article";
const MAX_FIELD_CHARS = 10_000;
const REQUIRED = ["title", "publisher", "author", "appId"] as const;
const URLS = ["articleUrl", "thumbnailUrl", "appIconUrl"] as const;

const presentationMl = (inner: string) => `<div data-format="PresentationML" data-version="2.0">${inner}</div>`;

function isWebUrl(value: string): boolean {
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** The article of a ShareContent body, checked as the public API describes it. */
export function validArticle(type: string, article: ShareArticle | undefined): ShareArticle {
  if (type !== ARTICLE_TYPE) throw invalidArgument(`type must be ${ARTICLE_TYPE}`);
  if (!article) throw invalidArgument("content is required");
  for (const field of REQUIRED) if (!article[field].trim()) throw invalidArgument(`content.${field} is required`);
  if (!article.articleId.trim() && !article.articleUrl.trim()) throw invalidArgument("content.articleId or content.articleUrl is required");
  for (const [field, value] of Object.entries(article)) {
    if (typeof value === "string" && value.length > MAX_FIELD_CHARS) throw invalidArgument(`content.${field} is longer than ${MAX_FIELD_CHARS} characters`);
  }
  for (const field of URLS) if (article[field] && !isWebUrl(article[field])) throw invalidArgument(`content.${field} must be an http or https URL`);
  if (article.publishDate !== undefined && article.publishDate < 0) throw invalidArgument("content.publishDate must not be negative");
  return article;
}

/**
 * What the agent encrypts for a shared article: the post (the sharer's accompanying text) and,
 * as its shared message, the article rendered as a card whose EntityJSON carries every field.
 */
export function sharedPostContent(article: ShareArticle, sharedMessageId: string): MessageContent {
  const lines = [
    `<b>${escapeXml(article.title)}</b>`,
    article.subTitle && `<i>${escapeXml(article.subTitle)}</i>`,
    article.summary && escapeXml(article.summary),
    `${escapeXml(article.author)}, ${escapeXml(article.publisher)}`,
    article.articleUrl && `<a href="${escapeXml(article.articleUrl)}">${escapeXml(article.articleUrl)}</a>`,
  ].filter(Boolean);
  const entity = { article: { type: ARTICLE_TYPE, version: "1.0", ...(ShareArticle.toJSON(article) as object) } };
  return {
    presentationMl: presentationMl(escapeXml(article.message)),
    entityJson: "{}",
    shared: {
      messageId: sharedMessageId,
      presentationMl: presentationMl(`<div class="entity" data-entity-id="article">${lines.join("<br/>")}</div>`),
      entityJson: JSON.stringify(entity),
    },
  };
}
