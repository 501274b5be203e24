package message_test

import (
	"fmt"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/notifier/message"
)

func ExampleRenderer_Text() {
	r, err := message.NewRenderer(message.Options{})
	if err != nil {
		panic(err)
	}
	text, err := r.Text(alert.Alert{
		ID: "a1", Source: "weifang-news", Title: "潍坊市发布2024年第三季度食品抽检结果",
		Link: "https://example.org/news/1", Published: "2024-10-08T09:00:00+08:00",
		Summary: "共抽检食品 320 批次，\n不合格 4 批次。", Score: 0.93,
		Regions: []string{"weifang"}, Categories: []string{"sampling", "recall"},
		Terms: []alert.Term{{Term: "抽检", Category: "sampling", Count: 3}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(text)
	// Output:
	// 质量预警：潍坊市发布2024年第三季度食品抽检结果
	// 链接：https://example.org/news/1
	// 来源：weifang-news
	// 发布时间：2024-10-08 09:00
	// 地区：潍坊
	// 类别：抽检、召回
	// 评分：0.93
	// 命中词：抽检
	//
	// 共抽检食品 320 批次， 不合格 4 批次。
}
