package message_test

import (
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/notifier/message"
)

func TestEscapeMarkdown(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain chinese", "潍坊市食品抽检结果", "潍坊市食品抽检结果"},
		{"link", "[x](http://evil)", "［x］（http://evil）"},
		{"image", "![img](http://evil/p.png)", "！［img］（http://evil/p.png）"},
		{"emphasis and code", "*bold* _it_ `code` ~s~", "＊bold＊ ＿it＿ ｀code｀ ～s～"},
		{"heading after newline", "标题\n# 大标题\n> quote", "标题 ＃ 大标题 ＞ quote"},
		{"feishu at tag", `<at id=all></at>`, "＜at id=all＞＜/at＞"},
		{"wecom mention", "<@userid>", "＜＠userid＞"},
		{"at all", "通知 @all", "通知 ＠all"},
		{"entity", "&lt;b&gt;", "＆lt;b＆gt;"},
		{"table and backslash", `a|b\c`, "a｜b＼c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := message.EscapeMarkdown(tt.in); got != tt.want {
				t.Errorf("EscapeMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSafeLink(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"https", "https://example.org/a?b=1&c=2#f", "https://example.org/a?b=1&c=2#f"},
		{"http upper scheme", "HTTP://example.org/x", "http://example.org/x"},
		{"trimmed", "  https://example.org/  ", "https://example.org/"},
		{"chinese path", "https://example.org/新闻/1", "https://example.org/%E6%96%B0%E9%97%BB/1"},
		{"markdown breakout", "https://example.org/a)[x](http://evil", "https://example.org/a%29%5Bx%5D%28http://evil"},
		{"slack breakout", "https://example.org/a|点击>", "https://example.org/a%7C%E7%82%B9%E5%87%BB%3E"},
		{"quote breakout", `https://example.org/a"onmouseover='x'`, "https://example.org/a%22onmouseover=%27x%27"},
		{"user info dropped", "https://user:pass@example.org/", "https://example.org/"},
		{"javascript", "javascript:alert(1)", ""},
		{"data", "data:text/html,<script>", ""},
		{"relative", "/news/1", ""},
		{"scheme relative", "//example.org/x", ""},
		{"empty", "", ""},
		{"mailto", "mailto:a@example.org", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := message.SafeLink(tt.in)
			if got != tt.want {
				t.Errorf("SafeLink(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if strings.ContainsAny(got, "()[]<>|\"' `") {
				t.Errorf("SafeLink(%q) = %q still holds a link-ending character", tt.in, got)
			}
		})
	}
}
