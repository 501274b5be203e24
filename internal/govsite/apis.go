package govsite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// The site's dynamic answers: Hanweb's dataproxy, the jpaas build/unit API,
// the JSON list API, the WAF challenge and the cookie pre-flight.

// dataproxy answers Hanweb's jpage paging, GET or POST (form) alike:
// startrecord/endrecord/perpage (1-based, inclusive) or page=N, and the
// column's columnid and unitid. perpage other than the column's 15 gets the
// "csrf" stub real servers give; an unknown columnid/unitid pair an empty
// datastore.
func (s *Site) dataproxy(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f := r.Form
	var col *column
	switch f.Get("columnid") + "/" + f.Get("unitid") {
	case "76551/445106":
		col = s.cols["hanweb"]
	case "1234/6021":
		col = s.cols["hanweb-gbk"]
	}
	if pp := f.Get("perpage"); pp != "" && pp != strconv.Itoa(hanwebPerPage) {
		send(w, http.StatusOK, "text/html;charset=UTF-8", []byte(`<script type="text/javascript">alert('csrf');history.back();</script>`))
		return
	}
	if col == nil {
		send(w, http.StatusOK, "text/xml;charset=UTF-8", []byte(`<?xml version="1.0" encoding="UTF-8"?>`+
			"\n<datastore>\n<totalrecord>0</totalrecord>\n<totalpage>0</totalpage>\n<recordset>\n</recordset>\n</datastore>\n"))
		return
	}
	start, end := 1, hanwebPerPage
	var err error
	if f.Get("startrecord") != "" {
		start, err = strconv.Atoi(f.Get("startrecord"))
		if err == nil {
			end, err = strconv.Atoi(f.Get("endrecord"))
		}
	} else if f.Get("page") != "" {
		var n int
		n, err = strconv.Atoi(f.Get("page"))
		start, end = (n-1)*hanwebPerPage+1, n*hanwebPerPage
	}
	if err != nil || start < 1 || end < start {
		http.Error(w, "java.lang.NumberFormatException", http.StatusInternalServerError)
		return
	}
	var items []*article
	for i := start; i <= end && i <= len(col.arts); i++ {
		items = append(items, col.arts[i-1])
	}
	ctype := "text/xml;charset=UTF-8"
	if col.gbk {
		ctype = "text/xml"
	}
	pages := (len(col.arts) + hanwebPerPage - 1) / hanwebPerPage
	b, err := col.render("datastore", listData{Total: len(col.arts), Pages: pages, Items: items}, s.origin)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	send(w, http.StatusOK, ctype, b)
}

// unit answers the jpaas build/unit API: the page number is read from
// paramJson only (a bare pageNo is ignored, as on real servers). It says
// text/html although it sends JSON.
func (s *Site) unit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	col := s.cols["jpaas"]
	reply := func(v any) {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
		send(w, http.StatusOK, "text/html;charset=UTF-8", b.Bytes())
	}
	fail := map[string]any{"success": false, "code": 500, "message": "参数异常", "data": nil}
	tag := q.Get("tagId")
	if q.Get("parseType") != "bulidstatic" || q.Get("webId") != jpaasWebID || q.Get("pageId") != jpaasPageID ||
		q.Get("tplSetId") != jpaasTplSetID || (tag != jpaasTag && tag != jpaasHotTag) {
		reply(fail)
		return
	}
	page := 1
	if pj := q.Get("paramJson"); pj != "" {
		var p struct {
			PageNo int `json:"pageNo"`
		}
		if err := json.Unmarshal([]byte(pj), &p); err != nil {
			reply(fail)
			return
		}
		page = max(p.PageNo, 1)
	}
	name := "fragment.html"
	if tag == jpaasHotTag {
		name, page = "hot.html", 1
	}
	b, err := col.render(name, listData{Page: page, Index: page - 1, Pages: col.pages, Total: len(col.arts), Items: col.onPage(page)}, s.origin)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	reply(map[string]any{"success": true, "code": 200, "message": "操作成功", "data": map[string]any{"html": string(b)}})
}

// jsonItem is one entry of the JSON list API.
type jsonItem struct {
	ID          int    `json:"id"`
	Title       string `json:"title"`
	URL         string `json:"url,omitempty"`
	PublishTime any    `json:"publishTime"`
	Source      string `json:"source"`
	ColumnName  string `json:"columnName"`
}

// jsonList answers /api/list?page=N, 15 entries a page.
func (s *Site) jsonList(w http.ResponseWriter, r *http.Request) {
	col := s.cols["jsonlist"]
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			send(w, http.StatusOK, "application/json;charset=UTF-8", []byte(`{"code":400,"msg":"参数page格式错误","data":null}`))
			return
		}
		page = n
	}
	list := []jsonItem{}
	for _, a := range col.arts {
		if a.Page != page {
			continue
		}
		it := jsonItem{Title: a.Title, URL: strings.ReplaceAll(a.Href, origin, s.origin), PublishTime: a.ListDate, Source: a.Source, ColumnName: "通知公告"}
		if it.URL == "-" {
			it.URL = ""
		}
		if ms, err := strconv.ParseInt(a.ListDate, 10, 64); err == nil {
			it.PublishTime = ms
		}
		base := a.Link[strings.LastIndex(a.Link, "/")+1:]
		it.ID, _ = strconv.Atoi(strings.TrimSuffix(base, ".html"))
		list = append(list, it)
	}
	b, err := json.Marshal(map[string]any{"code": 0, "msg": "success", "data": map[string]any{
		"list": list, "total": len(col.arts), "page": page, "pageSize": jsonPerPage}})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	send(w, http.StatusOK, "application/json;charset=UTF-8", b)
}

// waf plays 瑞数 (Ruishu): 412, a $_ts script and a cookie that replaying
// does not help.
func (s *Site) waf(w http.ResponseWriter) {
	s.mu.Lock()
	n := s.counts[WAFPath]
	s.mu.Unlock()
	b, err := site.ReadFile("site/waf/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Add("Set-Cookie", fmt.Sprintf("FSSBBIl1UgzbN7N80S=%s%04d; Path=/; expires=Sat, 30 Nov 2036 08:00:00 GMT; HttpOnly", "Xq3vT9kLm2bR7yWp", n))
	send(w, http.StatusPreconditionFailed, "text/html; charset=utf-8", b)
}

func hasCookie(r *http.Request) bool {
	c, err := r.Cookie(CookieName)
	return err == nil && c.Value == cookieValue
}

// preflight answers a request to /cookie/ without the cookie: 403, and the
// cookie to come back with.
func (s *Site) preflight(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: cookieValue, Path: "/", HttpOnly: true})
	send(w, http.StatusForbidden, "text/html; charset=utf-8", []byte(`<html><head><meta charset="utf-8"><title>403 Forbidden</title></head>`+
		`<body><script>setTimeout(function(){location.reload();},500);</script><p>访问受限，请刷新页面重试。</p></body></html>`))
}
