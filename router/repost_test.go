package router_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/qualitywatch/qualitywatch/alert"
	"github.com/qualitywatch/qualitywatch/bus"
	"github.com/qualitywatch/qualitywatch/internal/natstest"
	"github.com/qualitywatch/qualitywatch/internal/syncbuf"
	"github.com/qualitywatch/qualitywatch/router"
)

const body = "根据《中华人民共和国食品安全法》及其实施条例等有关规定，山东省市场监督管理局组织食品安全监督抽检，抽取粮食加工品、食用油、油脂及其制品、调味品、肉制品、乳制品等18大类食品757批次样品，根据食品安全国家标准检验和判定，抽样检验合格755批次、不合格2批次。不合格产品涉及菌落总数超标、铝的残留量超标等问题。"

func matched(id, source, title, text string, regions ...string) alert.Item {
	return alert.Item{Schema: alert.ItemSchema, ID: id, Source: source, Title: title, Text: text,
		Link: "http://" + source + ".example/" + strings.TrimPrefix(id, "link:"), Fetched: "2026-12-01T00:00:00Z",
		Verdict: alert.Verdict{Match: true, Score: 0.9, Categories: []string{"sampling"}, Regions: regions,
			Terms: []alert.Term{{Term: "抽检", Category: "sampling", Count: 2}}}}
}

func messages(t *testing.T, js jetstream.JetStream, stream string) []alert.Alert {
	t.Helper()
	s, err := js.Stream(t.Context(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []alert.Alert
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := s.GetMsg(t.Context(), seq)
		if bus.IsNotFound(err) {
			continue // deleted
		}
		if err != nil {
			t.Fatal(err)
		}
		a, err := alert.Decode(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// settled counts the router's final answers to items (an ack or a
// termination) as they cross the wire, so that a test waits for them
// instead of polling the consumer.
type settled chan struct{}

// watchSettled starts counting; call it before publishing.
func watchSettled(t *testing.T, nc *nats.Conn) settled {
	t.Helper()
	s := make(settled, 1024)
	sub, err := nc.Subscribe("$JS.ACK.>", func(m *nats.Msg) {
		if !strings.Contains(m.Subject, "."+bus.ItemsStream+"."+router.ConsumerName+".") {
			return
		}
		if body := string(m.Data); body == "" || strings.HasPrefix(body, "+ACK") || strings.HasPrefix(body, "+TERM") {
			s <- struct{}{}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	return s
}

// wait returns once n more items were settled.
func (s settled) wait(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for i := range n {
		select {
		case <-s:
		case <-timeout:
			t.Fatalf("the router settled %d of %d items", i, n)
		}
	}
}

func TestOneNoticeOneAlert(t *testing.T) {
	conn := natstest.Start(t, "")
	done := watchSettled(t, conn.NC)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() { _ = router.New(conn.JS, slog.New(slog.NewTextHandler(io.Discard, nil)), noMetrics{}).Run(ctx) }()

	title := "山东省市场监督管理局关于2026年第5期食品安全监督抽检信息的通告"
	items := []alert.Item{
		matched("link:p/5", "province", title, body, "shandong"),
		matched("link:c/5", "weifang", "转发："+title, "来源：潍坊市市场监督管理局 "+body+" 责任编辑：王某", "weifang"),
		matched("link:d/5", "kuiwen", "【转载】"+title, body+"（奎文区市场监管局转发）", "weifang", "kuiwen"),
		// The next issue, near-identical wording: a notice of its own.
		matched("link:p/6", "province", strings.Replace(title, "第5期", "第6期", 1), strings.Replace(body, "757", "802", 1), "shandong"),
		// A correction naming the first.
		matched("link:p/5c", "province", "关于更正"+title, "原通告中一处批次数有误，现更正如下。", "shandong"),
	}
	for _, it := range items {
		publishItem(t, conn.JS, it)
	}
	done.wait(t, len(items))

	alerts := messages(t, conn.JS, bus.AlertsStream)
	var ids []string
	for _, a := range alerts {
		ids = append(ids, a.ID)
	}
	if strings.Join(ids, " ") != "link:p/5 link:p/6 link:p/5c" {
		t.Fatalf("alerts %v: want the first copy, the next issue and the correction", ids)
	}
	if alerts[2].UpdateOf != "link:p/5" {
		t.Errorf("the correction's update_of = %q, want link:p/5", alerts[2].UpdateOf)
	}
	follow := messages(t, conn.JS, bus.RepostsStream)
	if len(follow) != 2 {
		t.Fatalf("%d follow-ups, want 2", len(follow))
	}
	last := follow[1]
	if last.AlsoOf != "link:p/5" || len(last.Also) != 2 || last.Also[0].Source != "weifang" || last.Also[1].Source != "kuiwen" {
		t.Errorf("follow-up %+v: want the first alert with both copies", last)
	}
	if strings.Join(last.Regions, ",") != "shandong,weifang,kuiwen" {
		t.Errorf("regions %v: want the union of the copies'", last.Regions)
	}
	records, err := router.OpenRecords(t.Context(), conn.JS)
	if err != nil {
		t.Fatal(err)
	}
	also, err := records.Also(t.Context(), "link:p/5")
	if err != nil || len(also) != 2 {
		t.Errorf("recorded copies: %v %v", also, err)
	}
}

// TestSameItemTwiceOneAlert: an item that reaches the items stream twice
// (published again after a crash, later than the stream's short duplicate
// window) is alerted once, and the copy is not routed again: the router
// says it skipped it (the alerts stream's own duplicate window, an hour,
// would otherwise hide a second publish).
func TestSameItemTwiceOneAlert(t *testing.T) {
	conn := natstest.Start(t, "")
	done := watchSettled(t, conn.NC)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var logs syncbuf.Buffer
	go func() { _ = router.New(conn.JS, slog.New(slog.NewJSONHandler(&logs, nil)), noMetrics{}).Run(ctx) }()

	it := matched("link:p/7", "province", "山东省市场监督管理局关于2026年第7期食品安全监督抽检信息的通告", body, "shandong")
	publishItem(t, conn.JS, it)
	done.wait(t, 1)
	// The items stream would drop the same Nats-Msg-Id within its window;
	// outside it, the copy is stored.
	b, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	m := &nats.Msg{Subject: bus.ItemSubject(it.Source), Data: b, Header: nats.Header{}}
	m.Header.Set(jetstream.MsgIDHeader, it.ID+" (after the window)")
	if _, err := conn.JS.PublishMsg(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	publishItem(t, conn.JS, matched("link:p/8", "province", "山东省市场监督管理局关于2026年第8期食品安全监督抽检信息的通告", body, "shandong"))
	done.wait(t, 2)

	var ids []string
	for _, a := range messages(t, conn.JS, bus.AlertsStream) {
		ids = append(ids, a.ID)
	}
	if strings.Join(ids, " ") != "link:p/7 link:p/8" {
		t.Fatalf("alerts %v: want link:p/7 once, then link:p/8", ids)
	}
	skipped := 0
	for line := range strings.Lines(logs.String()) {
		var rec struct{ Msg, ID string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "item already alerted: not alerted again" && rec.ID == it.ID {
			skipped++
		}
	}
	if skipped != 1 {
		t.Errorf("the copy of %s was skipped %d times, want once; router logs:\n%s", it.ID, skipped, logs.String())
	}
}
