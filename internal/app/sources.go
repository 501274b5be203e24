package app

import (
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/qualitywatch/qualitywatch/config"
	"github.com/qualitywatch/qualitywatch/watcher"
)

// WatcherSource is a configured source as the watcher reads it.
func WatcherSource(s config.Source) watcher.Source {
	ws := watcher.Source{Name: s.Name, URL: s.URL, Timeout: time.Duration(s.Timeout), Charset: s.Charset}
	if s.Baseline != nil {
		ws.Baseline = *s.Baseline
	}
	if s.List != nil {
		ws.List = &watcher.ListSource{Spec: s.List, Detail: s.DetailSpec, Pages: s.Pages, AllowEmpty: s.AllowEmpty}
	}
	return ws
}

// FeedFetcher is the fetcher feeds share, from watch: its own client
// (watch.feed_connections per host, connections kept), body cap, user
// agent ("" for the default) and the longest source timeout.
func FeedFetcher(cfg *config.Config, userAgent string) *watcher.Fetcher {
	return &watcher.Fetcher{
		Client:    watcher.NewFeedClient(cfg.Watch.FeedConnections),
		UserAgent: userAgent,
		MaxBytes:  cfg.Watch.MaxBytes,
		Timeout:   cfg.MaxFetchTimeout(),
	}
}

// SourceFetcher is the fetcher of source s. Feeds share one; a list-page
// source gets its own: its own cookies (some sites answer 403 once and set
// one), requests polite per host (limiter, shared by all sources), links
// read from its pages kept to its own host and public addresses (unless
// allow_private), each request bounded by the source's timeout.
func SourceFetcher(s config.Source, feeds *watcher.Fetcher, limiter *watcher.HostLimiter) *watcher.Fetcher {
	if s.List == nil {
		return feeds
	}
	jar, _ := cookiejar.New(nil) // never fails without options
	host := ""
	if u, err := url.Parse(s.URL); err == nil {
		host = strings.ToLower(u.Hostname())
	}
	return &watcher.Fetcher{
		Client: watcher.NewClient(watcher.ClientOptions{
			Guard:       &watcher.Guard{OwnHost: host, AllowPrivate: s.AllowPrivate},
			Polite:      limiter,
			InsecureTLS: s.InsecureTLS,
			Jar:         jar,
		}),
		UserAgent: feeds.UserAgent,
		MaxBytes:  feeds.MaxBytes,
		Timeout:   time.Duration(s.Timeout),
		Accept:    watcher.PageAccept,
	}
}

// HostLimiter is the per-host politeness of list-page sources, from
// watch.host_delay.
func HostLimiter(cfg *config.Config) *watcher.HostLimiter {
	d := config.DefaultHostDelay
	if cfg.Watch.HostDelay != nil {
		d = time.Duration(*cfg.Watch.HostDelay)
	}
	return &watcher.HostLimiter{Delay: d}
}
