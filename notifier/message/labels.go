package message

import (
	"github.com/qualitywatch/qualitywatch/classifier"
	"github.com/qualitywatch/qualitywatch/classifier/region"
)

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

// CategoryNamer names the categories of a vocabulary in a locale ("zh" or
// "en"); *classifier.Vocabulary is one, so a renderer given the vocabulary
// in force names a custom vocabulary's categories by the names its file
// gives them.
type CategoryNamer interface {
	CategoryName(slug, locale string) string
}

// defaultCategories names the embedded vocabulary's categories.
type defaultCategories struct{}

func (defaultCategories) CategoryName(slug, locale string) string {
	return classifier.CategoryName(slug, locale)
}

// Region names a region slug in the renderer's locale (weifang → 潍坊), by
// the names the gazetteer gives it. Unknown slugs are returned as they are.
func (r *Renderer) Region(slug string) string { return region.Name(slug, r.locale) }

// Category names a category slug in the renderer's locale (sampling → 抽检,
// quality-month → 质量月), by the names the vocabulary gives it
// (Options.Categories). Unknown slugs are returned as they are.
func (r *Renderer) Category(slug string) string { return r.categories.CategoryName(slug, r.locale) }

// Labels returns the fixed words of the renderer's locale.
func (r *Renderer) Labels() Labels {
	if r.locale == LocaleEN {
		return labelsEN
	}
	return labelsZH
}
