package classifier

import (
	"slices"
	"testing"

	"github.com/qualitywatch/qualitywatch/classifier/region"
)

func TestRegions(t *testing.T) {
	tests := []struct {
		title, text string
		want        []string
	}{
		{"蓬莱区开展质量月活动", "", []string{"yantai"}},
		{"寿光蔬菜抽检合格率达99%", "", []string{"weifang"}},
		{"黄岛区召开质量工作会议", "", []string{"qingdao"}},
		{"西海岸新区质量强区建设推进会", "", []string{"qingdao"}},
		{"山东省青岛市召开全市质量工作会议", "", []string{"qingdao"}},
		{"省市场监管局发布抽检信息", "全省共抽检食品1000批次。", []string{"shandong"}},
		{"福建启动质量月活动", "省市场监管局会同有关部门,在全省开展质量月活动。", []string{"other"}},
		{"市场监管总局发布产品质量国家监督抽查情况", "", []string{"national"}},
		{"质量月活动启动", "", []string{"other"}},
		{"莒县开展计量器具检定", "日照市市场监管局在莒县开展计量器具检定。", []string{"rizhao"}},
		{"东阿阿胶通过认证", "", []string{"liaocheng"}},
		{"滕州市召开质量强市工作会议", "", []string{"zaozhuang"}},
		{"惠民县开展打假行动", "", []string{"binzhou"}},
		{"山东2020年质量月活动在青岛启动", "", []string{"qingdao", "shandong"}}, // a tie: the city first
	}
	for _, tt := range tests {
		t.Run(tt.title, func(t *testing.T) {
			if got := Default().Classify(Input{Title: tt.title, Text: tt.text}).Regions; !slices.Equal(got, tt.want) {
				t.Errorf("regions %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGazetteerCoversShandong(t *testing.T) {
	want := []string{"jinan", "qingdao", "zibo", "zaozhuang", "dongying", "yantai", "weifang", "jining",
		"taian", "weihai", "rizhao", "linyi", "dezhou", "liaocheng", "binzhou", "heze", "shandong", "national", "other"}
	if got := Regions(); !slices.Equal(got, want) {
		t.Errorf("Regions() = %v, want %v", got, want)
	}
	if got := region.Slugs(); !slices.Equal(got, want) {
		t.Errorf("region.Slugs() = %v, want %v", got, want)
	}
	places := gazetteerOnce()
	perRegion := map[int]int{}
	for _, p := range places.places {
		perRegion[p.region]++
	}
	for i := range 16 {
		if perRegion[i] < 5 {
			t.Errorf("%s has only %d names", places.slugs[i], perRegion[i])
		}
	}
}
