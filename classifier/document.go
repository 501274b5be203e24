package classifier

import (
	"strings"
	"unicode/utf8"
)

// A body is cut into segments (lines and sentences) before it is scanned, so
// that site boilerplate and repeated passages can be left out: a page that
// prints its article twice (seed 004) or ends in navigation and copyright
// lines must not score higher for it.

// boilerplateMarks are what navigation, footer and metadata lines contain.
var boilerplateMarks = []string{
	"版权所有", "copyright", "©", "all rights reserved", "责任编辑", "编辑:", "上一篇", "下一篇",
	"您所在的位置", "当前位置", "您的位置", "首页 ›", "首页›", "icp备", "icp证", "公网安备", "新闻热线",
	"广告热线", "举报电话", "违法和不良信息", "分享到", "打印本页", "关闭窗口", "扫一扫", "点击这里",
	"浏览次", "字号", "来源:", "发布时间", "发布:", "作者:", "网站备案", "新闻许可证", "主办单位",
	"邮箱:", "联系我们", "网站地图",
}

// relatedHeads start a list of links to other articles; the body ends there.
var relatedHeads = []string{
	"相关新闻", "相关文章", "相关阅读", "相关推荐", "新闻推荐", "延伸阅读", "推荐阅读", "热点推荐",
	"猜你喜欢", "相关链接", "更多新闻", "热门推荐", "精彩推荐", "往期回顾", "相关报道",
}

// cleanBody appends to dst the segments of the normalised body that carry
// text: boilerplate segments are dropped, a segment seen before is dropped,
// and everything after a "related news" heading is dropped. Segments are
// separated by '\n'. It also returns the number of runes and segments kept.
func cleanBody(dst []byte, body string, seen map[uint64]struct{}) ([]byte, int, int) {
	runes, segments := 0, 0
	for rest := body; rest != ""; {
		seg := nextSegment(rest)
		rest = rest[len(seg):]
		seg = strings.TrimSpace(seg)
		if seg == "" {
			continue
		}
		if isRelatedHead(seg) && len(body)-len(rest) > len(body)/3 {
			break
		}
		if isBoilerplate(seg) || isListItem(seg) {
			continue
		}
		if len(seg) >= 15 {
			h := fnv64(seg)
			if _, dup := seen[h]; dup {
				continue
			}
			seen[h] = struct{}{}
		}
		dst = append(dst, seg...)
		dst = append(dst, '\n')
		runes += utf8.RuneCountInString(seg)
		segments++
	}
	return dst, runes, segments
}

// nextSegment returns the prefix of s up to and including the first line
// break or sentence end (。!?;).
func nextSegment(s string) string {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n', '!', '?', ';':
			return s[:i+1]
		case 0xE3: // 。 is E3 80 82
			if i+2 < len(s) && s[i+1] == 0x80 && s[i+2] == 0x82 {
				return s[:i+3]
			}
		}
	}
	return s
}

func isRelatedHead(seg string) bool {
	if len(seg) > 30 {
		return false
	}
	for _, h := range relatedHeads {
		if strings.HasPrefix(seg, h) {
			return true
		}
	}
	return false
}

// isBoilerplate reports a short segment with one boilerplate mark, or a
// longer one with several (a footer run together on one line).
func isBoilerplate(seg string) bool {
	if len(seg) > 600 {
		return false
	}
	n := 0
	for _, m := range boilerplateMarks {
		if strings.Contains(seg, m) {
			n++
		}
	}
	return n >= 2 || n == 1 && len(seg) <= 120
}

// isListItem reports a short line ending in a date, the shape of a link in
// a list of other articles: "- 上海:颁发上海市质量金奖(2024-09-07)".
func isListItem(seg string) bool {
	if len(seg) > 150 {
		return false
	}
	s := strings.TrimRight(seg, ")] ")
	if len(s) < 10 {
		return false
	}
	d := s[len(s)-10:]
	for i := 0; i < 10; i++ {
		c := d[i]
		if i == 4 || i == 7 {
			if c != '-' && c != '/' && c != '.' {
				return false
			}
		} else if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
