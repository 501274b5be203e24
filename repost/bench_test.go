package repost

import (
	"strings"
	"testing"
)

// BenchmarkOf is the print of a sampling notice of about 500 characters,
// computed for every alert.
func BenchmarkOf(b *testing.B) {
	title := "济南市市场监督管理局关于2026年第12期食品安全监督抽检信息的通告"
	text := strings.Repeat("根据《中华人民共和国食品安全法》及其实施条例等有关规定，组织抽检了食用农产品、粮食加工品等18大类食品，共计305批次样品。", 5)
	b.ReportAllocs()
	for b.Loop() {
		Of(title, text)
	}
}
