package repost_test

import (
	"strings"
	"testing"

	"github.com/qualitywatch/qualitywatch/repost"
)

const notice = "根据《中华人民共和国食品安全法》及其实施条例等有关规定，山东省市场监督管理局组织食品安全监督抽检，抽取粮食加工品、食用油、油脂及其制品、调味品、肉制品、乳制品等18大类食品757批次样品，根据食品安全国家标准检验和判定，抽样检验合格755批次、不合格2批次。不合格产品涉及菌落总数超标、铝的残留量超标等问题。对抽检中发现的不合格食品，已责成相关市场监管部门立即组织开展核查处置。"

func TestSameNotice(t *testing.T) {
	orig := repost.Of("山东省市场监督管理局关于2026年第5期食品安全监督抽检信息的通告", notice)
	tests := []struct {
		name        string
		title, text string
	}{
		{"city repost with prefix", "转发：山东省市场监督管理局关于2026年第5期食品安全监督抽检信息的通告", "来源：潍坊市市场监督管理局 " + notice + " 责任编辑：王某"},
		{"district repost with brackets and traditional", "【轉載】山東省市場監督管理局關於2026年第5期食品安全監督抽檢信息的通告", notice + "（区市场监管局转发）"},
		{"repost, punctuation and spaces", "转载 | 山东省市场监督管理局关于2026年第5期食品安全监督抽检信息的通告", strings.ReplaceAll(notice, "，", ", ")},
		{"next issue, near-identical wording", "山东省市场监督管理局关于2026年第6期食品安全监督抽检信息的通告", strings.ReplaceAll(notice, "757", "802")},
		{"same title, other year", "山东省市场监督管理局关于2025年第5期食品安全监督抽检信息的通告", notice},
		{"another notice", "关于开展2026年质量月活动的通知", "为深入贯彻质量强国建设纲要，决定在全省开展质量月活动。"},
	}
	for _, tt := range tests {
		want := strings.Contains(tt.name, "repost")
		p := repost.Of(tt.title, tt.text)
		if got := repost.Same(orig, p); got != want {
			t.Errorf("%s: Same = %v, want %v (distance %d)", tt.name, got, want, repost.Distance(orig.Sim, p.Sim))
		}
		if got := repost.SameKey(orig.Key(), p.Key()); got != want {
			t.Errorf("%s: SameKey = %v, want %v", tt.name, got, want)
		}
	}
	// Titles alone: equal once stripped.
	if !repost.Same(repost.Of("关于2026年第12期信息的通告", ""), repost.Of("转发：关于2026年第12期信息的通告", "")) {
		t.Error("title-only repost not recognised")
	}
	if repost.Same(repost.Of("关于2026年第12期信息的通告", ""), repost.Of("关于2026年第13期信息的通告", "")) {
		t.Error("title-only different issues merged")
	}
}

func TestCorrections(t *testing.T) {
	orig := repost.Of("关于2026年电线电缆产品质量省级监督抽查结果的通告", "")
	rest, ok := repost.Corrects("关于更正2026年电线电缆产品质量省级监督抽查结果的通告")
	if !ok || !repost.Refers(rest, orig) {
		t.Errorf("correction not linked: %q %v", rest, ok)
	}
	if _, ok := repost.Corrects("关于2026年电线电缆产品质量省级监督抽查结果的通告"); ok {
		t.Error("a plain notice taken for a correction")
	}
	rest, _ = repost.Corrects("关于撤销部分产品认证证书的公告")
	if repost.Refers(rest, orig) {
		t.Error("a withdrawal of something else linked")
	}
}
