package classifier

import (
	"bytes"
	"hash/maphash"
)

// A body is read segment by segment (lines and sentences, as Normalize
// found them), so that site
// boilerplate and repeated passages can be left out: a page that prints its
// article twice (seed 004) or ends in navigation and copyright lines must
// not score higher for it. The body is scanned once; each match is then
// counted only if its segment is kept.

// boilerplateMarks are what navigation, footer and metadata lines contain.
// They are patterns of the classifier's automaton (in normalised form).
var boilerplateMarks = []string{
	"版权所有", "copyright", "©", "all rights reserved", "责任编辑", "编辑:", "上一篇", "下一篇",
	"您所在的位置", "当前位置", "您的位置", "首页 ›", "首页›", "icp备", "icp证", "公网安备", "新闻热线",
	"广告热线", "举报电话", "违法和不良信息", "分享到", "打印本页", "关闭窗口", "扫一扫", "点击这里",
	"浏览次", "字号", "来源:", "发布时间", "发布:", "作者:", "网站备案", "新闻许可证", "主办单位",
	"邮箱:", "联系我们", "网站地图",
}

// relatedHeads start a list of links to other articles; the body ends there.
var relatedHeads = [][]byte{
	[]byte("相关新闻"), []byte("相关文章"), []byte("相关阅读"), []byte("相关推荐"), []byte("新闻推荐"),
	[]byte("延伸阅读"), []byte("推荐阅读"), []byte("热点推荐"), []byte("猜你喜欢"), []byte("相关链接"),
	[]byte("更多新闻"), []byte("热门推荐"), []byte("精彩推荐"), []byte("往期回顾"), []byte("相关报道"),
}

// span is where a kept segment lies in the normalised text.
type span struct{ start, end int32 }

// hit is one match of the automaton in the body.
type hit struct {
	pattern, start int32
}

// walkBody decides which segments of the normalised body to keep and calls
// keep with each kept segment's hits.
func (c *Classifier) walkBody(s *scratch, keep func(seg []byte, hits []hit)) {
	body, hits := s.norm, s.hits
	h, next := 0, 0
	for pos := s.bodyStart; pos < len(body); {
		start := pos
		for next < len(s.segs) && int(s.segs[next]) <= pos {
			next++
		}
		if next < len(s.segs) {
			pos = int(s.segs[next])
		} else {
			pos = len(body)
		}
		k := h
		for k < len(hits) && int(hits[k].start) < pos {
			k++
		}
		segHits := hits[h:k]
		h = k
		seg := bytes.TrimSpace(body[start:pos])
		if len(seg) == 0 {
			continue
		}
		if isRelatedHead(seg) && pos > len(body)/3 {
			return
		}
		marks := 0
		for _, x := range segHits {
			if c.m.patterns[x.pattern].boiler {
				marks++
			}
		}
		if marks >= 2 && len(seg) <= 600 || marks == 1 && len(seg) <= 120 || isListItem(seg) {
			continue
		}
		if len(seg) >= 15 {
			// Seen before? The hash finds the candidate, the bytes decide,
			// so the verdict never depends on the (random) hash seed.
			hash := maphash.Bytes(c.seed, seg)
			if prev, dup := s.seen[hash]; dup && bytes.Equal(body[prev.start:prev.end], seg) {
				continue
			}
			segStart := start + bytes.Index(body[start:pos], seg)
			s.seen[hash] = span{int32(segStart), int32(segStart + len(seg))}
		}
		keep(seg, segHits)
	}
}

func isRelatedHead(seg []byte) bool {
	if len(seg) > 30 {
		return false
	}
	for _, h := range relatedHeads {
		if bytes.HasPrefix(seg, h) {
			return true
		}
	}
	return false
}

// isListItem reports a short line ending in a date, the shape of a link in
// a list of other articles: "- 上海:颁发上海市质量金奖(2024-09-07)".
func isListItem(seg []byte) bool {
	if len(seg) > 150 {
		return false
	}
	s := bytes.TrimRight(seg, ")] ")
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
