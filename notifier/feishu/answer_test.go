package feishu_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/qualitywatch/qualitywatch/notifier/feishu"
	"github.com/qualitywatch/qualitywatch/notifier/message/messagetest"
)

func TestClassifiesAnswers(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		header         http.Header
		answer         string
		wantErr        bool
		wantPermanent  bool
		wantRetryAfter time.Duration
	}{
		{"success", 200, nil, `{"code":0,"msg":"success","data":{}}`, false, false, 0},
		{"legacy success", 200, nil, `{"Extra":null,"StatusCode":0,"StatusMessage":"success"}`, false, false, 0},
		{"frequency limited", 200, nil, `{"code":11232,"msg":"frequency limited psm[lark.oapi.app_platform_runtime]appID[1]"}`, true, false, time.Minute},
		{"frequency limited in a 400", 400, nil, `{"code":11232,"msg":"frequency limited"}`, true, false, time.Minute},
		{"9499 too many requests", 200, nil, `{"code":9499,"msg":"too many request"}`, true, false, time.Minute},
		{"9499 bad request", 200, nil, `{"code":9499,"msg":"Bad Request","data":{}}`, true, true, 0},
		{"sign match fail", 200, nil, `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}`, true, true, 0},
		{"keyword", 200, nil, `{"code":19024,"msg":"Key Words Not Found"}`, true, true, 0},
		{"legacy failure", 200, nil, `{"StatusCode":19001,"StatusMessage":"param invalid: incoming webhook access token invalid"}`, true, true, 0},
		{"not json", 200, nil, `<html></html>`, true, false, 0},
		{"429", 429, http.Header{"Retry-After": {"8"}}, `{"code":99991400,"msg":"request trigger frequency limit"}`, true, false, 8 * time.Second},
		{"500", 500, nil, `internal`, true, false, 0},
		{"400 without code", 400, nil, `bad`, true, true, 0},
		{"404", 404, nil, `404 page not found`, true, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := bot(t, tt.status, tt.header, tt.answer)
			err := newNotifier(t, srv, feishu.Config{Secret: secret}).Notify(t.Context(), messagetest.Alert(1))
			checkErr(t, err, tt.wantErr, tt.wantPermanent, tt.wantRetryAfter)
		})
	}
	t.Run("network error", func(t *testing.T) {
		srv, _ := bot(t, 200, nil, "")
		n := newNotifier(t, srv, feishu.Config{})
		srv.Close()
		checkErr(t, n.Notify(t.Context(), messagetest.Alert(1)), true, false, 0)
	})
}

func checkErr(t *testing.T, err error, wantErr, wantPermanent bool, wantRetryAfter time.Duration) {
	t.Helper()
	messagetest.CheckErr(t, err, wantErr, wantPermanent, wantRetryAfter, hookToken, secret)
}

func TestNewAndString(t *testing.T) {
	if _, err := feishu.New(feishu.Config{WebhookURL: "/open-apis/bot/v2/hook/" + hookToken}); err == nil || strings.Contains(err.Error(), hookToken) {
		t.Errorf("New(bad url) = %v, want an error without the token", err)
	}
	n, err := feishu.New(feishu.Config{WebhookURL: "https://open.feishu.cn/open-apis/bot/v2/hook/" + hookToken, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if got := n.String(); got != "feishu https://open.feishu.cn" {
		t.Errorf("String() = %q", got)
	}
}
