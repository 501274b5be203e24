package message

// Locales a Renderer can speak.
const (
	LocaleZH = "zh" // simplified Chinese, the default
	LocaleEN = "en"
)

// Labels are the fixed words of a message in one locale. Templates reach
// them as .L (for example {{.L.Source}}).
type Labels struct {
	Alert      string // heading of a single alert: "质量预警"
	Digest     string // heading of a digest: "质量公告汇总"
	Link       string
	Source     string
	Published  string
	Detected   string
	Regions    string
	Categories string
	Score      string
	Terms      string
	Summary    string
	Open       string // text of a link button: "查看原文"
	More       string // printf format taking the number of alerts left out
	Sep        string // separator between list items: "、" or ", "
	Colon      string // between a label and its value: "：" or ": "
}

var labelsZH = Labels{
	Alert:      "质量预警",
	Digest:     "质量公告汇总",
	Link:       "链接",
	Source:     "来源",
	Published:  "发布时间",
	Detected:   "发现时间",
	Regions:    "地区",
	Categories: "类别",
	Score:      "评分",
	Terms:      "命中词",
	Summary:    "摘要",
	Open:       "查看原文",
	More:       "……另有 %d 条未显示",
	Sep:        "、",
	Colon:      "：",
}

var labelsEN = Labels{
	Alert:      "Quality alert",
	Digest:     "Quality announcements",
	Link:       "Link",
	Source:     "Source",
	Published:  "Published",
	Detected:   "Detected",
	Regions:    "Regions",
	Categories: "Categories",
	Score:      "Score",
	Terms:      "Matched terms",
	Summary:    "Summary",
	Open:       "Open",
	More:       "…and %d more",
	Sep:        ", ",
	Colon:      ": ",
}

// regionNames maps region slugs to their names, [zh, en].
var regionNames = map[string][2]string{
	"jinan":     {"济南", "Jinan"},
	"qingdao":   {"青岛", "Qingdao"},
	"zibo":      {"淄博", "Zibo"},
	"zaozhuang": {"枣庄", "Zaozhuang"},
	"dongying":  {"东营", "Dongying"},
	"yantai":    {"烟台", "Yantai"},
	"weifang":   {"潍坊", "Weifang"},
	"jining":    {"济宁", "Jining"},
	"taian":     {"泰安", "Tai'an"},
	"weihai":    {"威海", "Weihai"},
	"rizhao":    {"日照", "Rizhao"},
	"linyi":     {"临沂", "Linyi"},
	"dezhou":    {"德州", "Dezhou"},
	"liaocheng": {"聊城", "Liaocheng"},
	"binzhou":   {"滨州", "Binzhou"},
	"heze":      {"菏泽", "Heze"},
	"shandong":  {"山东省", "Shandong Province"},
	"national":  {"全国", "National"},
	"other":     {"其他", "Other"},
}

// categoryNames maps category slugs to their names, [zh, en].
var categoryNames = map[string][2]string{
	"sampling":      {"抽检", "Sampling inspection"},
	"recall":        {"召回", "Recall"},
	"standards":     {"标准化", "Standards"},
	"metrology":     {"计量", "Metrology"},
	"certification": {"认证认可", "Certification"},
	"testing":       {"检验检测", "Testing"},
	"award":         {"质量奖励", "Quality award"},
	"campaign":      {"质量提升行动", "Quality campaign"},
	"enforcement":   {"执法打假", "Enforcement"},
	"brand":         {"品牌建设", "Brand building"},
}

func (r *Renderer) name(table map[string][2]string, slug string) string {
	names, ok := table[slug]
	if !ok {
		return slug
	}
	if r.locale == LocaleEN {
		return names[1]
	}
	return names[0]
}

// Region names a region slug in the renderer's locale (weifang → 潍坊).
// Unknown slugs are returned as they are.
func (r *Renderer) Region(slug string) string { return r.name(regionNames, slug) }

// Category names a category slug in the renderer's locale (sampling → 抽检).
// Unknown slugs are returned as they are.
func (r *Renderer) Category(slug string) string { return r.name(categoryNames, slug) }

// Labels returns the fixed words of the renderer's locale.
func (r *Renderer) Labels() Labels {
	if r.locale == LocaleEN {
		return labelsEN
	}
	return labelsZH
}
