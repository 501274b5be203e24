package message_test

import (
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/classifier"

	"github.com/qualitywatch/qualitywatch/notifier/message"
)

func newRenderer(t *testing.T, opts message.Options) *message.Renderer {
	t.Helper()
	r, err := message.NewRenderer(opts)
	if err != nil {
		t.Fatalf("NewRenderer(%+v): %v", opts, err)
	}
	return r
}

func TestRegionNames(t *testing.T) {
	zh := newRenderer(t, message.Options{})
	en := newRenderer(t, message.Options{Locale: "en"})
	tests := []struct {
		slug, zh, en string
	}{
		{"jinan", "济南", "Jinan"},
		{"qingdao", "青岛", "Qingdao"},
		{"zibo", "淄博", "Zibo"},
		{"zaozhuang", "枣庄", "Zaozhuang"},
		{"dongying", "东营", "Dongying"},
		{"yantai", "烟台", "Yantai"},
		{"weifang", "潍坊", "Weifang"},
		{"jining", "济宁", "Jining"},
		{"taian", "泰安", "Tai'an"},
		{"weihai", "威海", "Weihai"},
		{"rizhao", "日照", "Rizhao"},
		{"linyi", "临沂", "Linyi"},
		{"dezhou", "德州", "Dezhou"},
		{"liaocheng", "聊城", "Liaocheng"},
		{"binzhou", "滨州", "Binzhou"},
		{"heze", "菏泽", "Heze"},
		{"shandong", "山东省", "Shandong Province"},
		{"national", "全国", "National"},
		{"other", "其他", "Other"},
		{"atlantis", "atlantis", "atlantis"},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			if got := zh.Region(tt.slug); got != tt.zh {
				t.Errorf("zh Region(%q) = %q, want %q", tt.slug, got, tt.zh)
			}
			if got := en.Region(tt.slug); got != tt.en {
				t.Errorf("en Region(%q) = %q, want %q", tt.slug, got, tt.en)
			}
		})
	}
}

func TestCategoryNames(t *testing.T) {
	zh := newRenderer(t, message.Options{Locale: "zh"})
	en := newRenderer(t, message.Options{Locale: "en"})
	tests := []struct {
		slug, zh, en string
	}{
		{"sampling", "抽检", "Sampling inspection"},
		{"recall", "召回", "Recall"},
		{"standards", "标准化", "Standards"},
		{"metrology", "计量", "Metrology"},
		{"certification", "认证认可", "Certification"},
		{"testing", "检验检测", "Testing"},
		{"award", "质量奖励", "Quality award"},
		{"campaign", "质量提升行动", "Quality campaign"},
		{"enforcement", "执法打假", "Enforcement"},
		{"brand", "品牌建设", "Brand building"},
		{"quality-month", "质量月", "Quality month"},
		{"new-slug", "new-slug", "new-slug"},
	}
	for _, tt := range tests {
		t.Run(tt.slug, func(t *testing.T) {
			if got := zh.Category(tt.slug); got != tt.zh {
				t.Errorf("zh Category(%q) = %q, want %q", tt.slug, got, tt.zh)
			}
			if got := en.Category(tt.slug); got != tt.en {
				t.Errorf("en Category(%q) = %q, want %q", tt.slug, got, tt.en)
			}
		})
	}
}

func TestCustomCategoryNames(t *testing.T) {
	v, err := classifier.ParseVocabulary([]byte("names:\n  food-fraud: {zh: 食品欺诈, en: Food fraud}\ncategories:\n  food-fraud:\n    地沟油: 6\n"), "user.yaml")
	if err != nil {
		t.Fatal(err)
	}
	zh := newRenderer(t, message.Options{Categories: v})
	en := newRenderer(t, message.Options{Locale: "en", Categories: v})
	for _, tt := range []struct{ slug, zh, en string }{
		{"food-fraud", "食品欺诈", "Food fraud"},
		{"quality-month", "质量月", "Quality month"}, // the default's names
		{"other-slug", "other-slug", "other-slug"},
	} {
		if got := zh.Category(tt.slug); got != tt.zh {
			t.Errorf("zh Category(%q) = %q, want %q", tt.slug, got, tt.zh)
		}
		if got := en.Category(tt.slug); got != tt.en {
			t.Errorf("en Category(%q) = %q, want %q", tt.slug, got, tt.en)
		}
	}
	text, err := zh.Text(alert.Alert{Title: "质量月活动启动", Categories: []string{"quality-month", "food-fraud"}, Regions: []string{"weifang"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "质量月、食品欺诈") || !strings.Contains(text, "潍坊") {
		t.Errorf("text does not name the categories and region:\n%s", text)
	}
}
