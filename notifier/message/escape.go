package message

import (
	"net/url"
	"strings"
)

// markdownNeutraliser replaces every character that chat markdown dialects
// (DingTalk, WeCom, Feishu lark_md) give a meaning with its full-width twin.
// The dialects differ in which backslash escapes and HTML entities they
// honour, so escaping is not reliable; a full-width character is plain text
// in all of them and reads naturally in Chinese text. It covers links and
// images ([ ] ( ) !), emphasis (* _ ~), headings (#), code (`), tables (|),
// tags and mentions (< > such as <at id=all> or <@userid>, @all), entities
// (&) and backslash escapes.
var markdownNeutraliser = strings.NewReplacer(
	`\`, "＼",
	"`", "｀",
	"*", "＊",
	"_", "＿",
	"~", "～",
	"[", "［",
	"]", "］",
	"(", "（",
	")", "）",
	"#", "＃",
	"<", "＜",
	">", "＞",
	"|", "｜",
	"!", "！",
	"@", "＠",
	"&", "＆",
)

// EscapeMarkdown makes feed text inert in chat markdown: a title such as
// "[x](http://evil)" or "<at id=all></at>" is shown, never followed or
// notified. Whitespace runs (including newlines) collapse to one space so the
// text cannot start a heading, quote or list.
func EscapeMarkdown(s string) string {
	return markdownNeutraliser.Replace(OneLine(s))
}

// OneLine collapses every run of whitespace, newlines included, into a
// single space and trims the ends.
func OneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// linkEscaper percent-encodes the characters that could end a link in the
// syntaxes the channels use: Markdown "(url)", Slack "<url|text>", HTML
// attributes and angle-bracketed autolinks.
var linkEscaper = strings.NewReplacer(
	"(", "%28",
	")", "%29",
	"[", "%5B",
	"]", "%5D",
	"<", "%3C",
	">", "%3E",
	"|", "%7C",
	`"`, "%22",
	"'", "%27",
	"`", "%60",
	`\`, "%5C",
	" ", "%20",
	"*", "%2A",
	"_", "%5F",
)

// SafeLink returns raw as an absolute http or https URL that cannot break
// out of a link in Markdown, Slack mrkdwn or HTML, or "" when raw is not such
// a URL (javascript:, relative, empty, unparsable). User info is dropped.
func SafeLink(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return ""
	}
	u.Scheme = scheme
	u.User = nil
	prefix := scheme + "://" + u.Host
	if strings.ContainsAny(u.Host, "()<>|\"'` \\") {
		return ""
	}
	return prefix + linkEscaper.Replace(strings.TrimPrefix(u.String(), prefix))
}
