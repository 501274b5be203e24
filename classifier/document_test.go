package classifier

import (
	"fmt"
	"strings"
	"testing"
)

const announcement = "近日,某市市场监督管理局组织开展食品安全监督抽检,共抽检食品样品300批次,其中不合格样品6批次。" +
	"不合格产品涉及糕点、饮料等,市场监管部门已依法查处。\n" +
	"市场监管局提醒消费者购买食品时注意查看标签。"

// TestRepeatsAndBoilerplateDoNotCount: a page that prints its article twice,
// or ends in navigation, copyright and related links, scores as the article.
func TestRepeatsAndBoilerplateDoNotCount(t *testing.T) {
	title := "某市发布食品安全监督抽检信息"
	base := Default().Classify(Input{Title: title, Text: announcement})
	tests := []struct{ name, text string }{
		{"body twice", announcement + "\n" + announcement},
		{"body three times", strings.Repeat(announcement+"\n", 3)},
		{"navigation and footer", "您所在的位置:首页 › 新闻中心 › 本地新闻\n" + announcement +
			"\n责任编辑:王某\n版权所有:某市日报社 网站备案号:鲁ICP备12345678号\n上一篇:质量强市工作推进会召开\n下一篇:抽检不合格产品名单"},
		{"related list", announcement + "\n相关新闻\n- 某市开展质量月活动(2024-09-07)\n- 某省召开质量强省大会(2024-09-05)\n市长质量奖揭晓 抽检 召回 标准化 计量 认证"},
		{"list items", announcement + "\n- 上海:颁发上海市质量金奖(2024-09-07)\n- 全国各地“质量月”活动精彩纷呈(2024-09-05)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Default().Classify(Input{Title: title, Text: tt.text})
			if v.Score != base.Score {
				t.Errorf("score %.3f (terms %v), want %.3f as for the article alone (terms %v)", v.Score, v.Terms, base.Score, base.Terms)
			}
		})
	}
}

// TestLongReportIsDamped: the same handful of quality terms in a long
// economy report weigh less than in a short announcement.
func TestLongReportIsDamped(t *testing.T) {
	terms := "深入实施质量强市战略,食品抽检合格率保持在98%以上,新增国家标准12项。"
	var sb strings.Builder
	for i := range 200 { // distinct sentences: repeats would be dropped
		fmt.Fprintf(&sb, "第%d个项目完成投资%d亿元,带动就业%d人。", i, i*3+7, i*11+50)
	}
	filler := sb.String()
	short := Default().Classify(Input{Text: terms})
	long := Default().Classify(Input{Text: terms + filler})
	if long.Score >= short.Score || long.Match {
		t.Errorf("long report: score %.3f match %v; short: %.3f", long.Score, long.Match, short.Score)
	}
}
