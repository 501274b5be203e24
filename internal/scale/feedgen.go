package scale

import (
	"fmt"
	"html"
	"strconv"
	"time"
)

// published is entry seq's publication time: entry 0 at 2026-01-05 08:00
// CST, each next one a minute later.
func published(seq int) time.Time {
	return time.Date(2026, 1, 5, 8, 0, 0, 0, time.FixedZone("CST", 8*3600)).Add(time.Duration(seq) * time.Minute)
}

// city gives entries of different feeds different words.
func city(n int) string {
	cities := [...]string{"济南", "青岛", "淄博", "枣庄", "东营", "烟台", "潍坊", "济宁", "泰安", "威海", "日照", "临沂", "德州", "聊城", "滨州", "菏泽"}
	return cities[n%len(cities)]
}

// noticeTitle is a quality notice's title, which the classifier alerts on.
// Feed n's bureau is named by its number as well as its city: feeds of
// the same city publish at the same sequence numbers, and without it their
// notices would be one notice reposted (which the router rightly merges).
func noticeTitle(city string, n, seq int) string {
	notices := [...]string{
		"%s市市场监督管理局第%d分局关于2026年第%d期食品安全监督抽检信息的通告",
		"%s市市场监管局第%d分局关于第%d批产品质量监督抽查结果的公告",
		"%s市第%d分局关于召回第%d批次不合格儿童玩具的通知",
		"%s市第%d计量检定所第%d批次计量器具检定结果公示",
	}
	return fmt.Sprintf(notices[seq%len(notices)], city, n, seq)
}

// neutralTitle is ordinary government news.
func neutralTitle(city string, seq int) string {
	neutral := [...]string{
		"%s市召开第%d次政府常务会议 研究部署近期重点工作",
		"%s市第%d届全民健身运动会开幕",
		"%s市政务服务中心第%d期业务培训班举行",
		"%s市举办第%d场就业招聘活动",
	}
	return fmt.Sprintf(neutral[seq%len(neutral)], city, seq)
}

const (
	noticeText = "<p>根据《中华人民共和国食品安全法》及其实施条例等有关规定，%s市市场监督管理局组织抽检了食用农产品、粮食加工品、食用油、肉制品、乳制品、饮料、方便食品、饼干、罐头、冷冻饮品等%d大类食品，共计%d批次样品。</p>" +
		"<p>抽检项目包括理化指标、微生物指标、污染物、食品添加剂、农药残留和兽药残留等。根据检验结果，合格样品%d批次，不合格样品%d批次。对抽检中发现的不合格食品，已责令生产经营者立即采取封存、下架、召回等措施，控制风险，并依法查处。</p>" +
		"<p>特此通告。附件：食品安全监督抽检产品合格信息、不合格信息。</p>"
	neutralText = "<p>%s市第%d次会议日前召开，会议听取了近期经济运行情况汇报，研究部署了城市更新、交通建设、公共服务、乡村振兴等方面的重点工作，要求各部门压实责任、加快进度，确保各项任务按期完成。</p>" +
		"<p>会议强调，要坚持以人民为中心，围绕群众急难愁盼问题，持续优化营商环境，扎实办好民生实事，推动各项工作取得新成效。会议还研究了其他事项。</p>"
)

// entryLink is entry seq of feed n's link (and guid). The host is never
// fetched: feeds are read without their entries' pages.
func entryLink(n, seq int) string {
	return "http://bureau" + strconv.Itoa(n) + ".example.gov.cn/art/2026/" + strconv.Itoa(seq) + ".html"
}

// alerts reports whether entry seq is a quality notice.
func (f *Feeds) alerts(seq int) bool {
	return f.opts.MatchEvery > 0 && seq%f.opts.MatchEvery == 0
}

// body renders feed n holding entries top-Items+1 ... top, newest first.
func (f *Feeds) body(n, top int) []byte {
	city := city(n)
	b := make([]byte, 0, 256+1100*f.opts.Items)
	b = append(b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<rss version="2.0"><channel>`...)
	b = fmt.Appendf(b, "<title>%s市市场监督管理局 栏目%d</title><link>http://bureau%d.example.gov.cn/</link><description>通知公告</description>\n", city, n, n)
	for seq := top; seq > top-f.opts.Items && seq >= 0; seq-- {
		var title, text string
		if f.alerts(seq) {
			title = noticeTitle(city, n, seq)
			text = fmt.Sprintf(noticeText, city, 10+seq%20, 100+seq%400, 95+seq%300, 1+seq%5)
		} else {
			title = neutralTitle(city, seq)
			text = fmt.Sprintf(neutralText, city, seq)
		}
		link := entryLink(n, seq)
		b = append(b, "<item><title>"...)
		b = append(b, html.EscapeString(title)...)
		b = append(b, "</title><link>"...)
		b = append(b, link...)
		b = append(b, `</link><guid isPermaLink="true">`...)
		b = append(b, link...)
		b = append(b, "</guid><pubDate>"...)
		b = append(b, published(seq).Format(time.RFC1123Z)...)
		b = append(b, "</pubDate><description>"...)
		b = append(b, html.EscapeString(text)...)
		b = append(b, "</description></item>\n"...)
	}
	b = append(b, "</channel></rss>\n"...)
	return b
}
