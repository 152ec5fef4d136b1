package api

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNegotiation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		accept []string
		xml    bool
	}{
		{nil, true},
		{[]string{""}, true},
		{[]string{"application/json"}, false},
		{[]string{"*/*"}, false},
		{[]string{"application/*"}, false},
		{[]string{"application/xml"}, true},
		{[]string{"text/xml"}, true},
		{[]string{"text/html"}, false},
		{[]string{"application/xml, application/json"}, true},
		{[]string{"application/json, application/xml"}, false},
		{[]string{"application/json;q=0.5, text/xml"}, true},
		{[]string{"application/xml;q=0.2, */*;q=0.9"}, false},
		{[]string{"application/xml;q=0, application/json"}, false},
		{[]string{"Application/XML; charset=utf-8"}, true},
		{[]string{"text/html", "application/xml"}, true},
	}
	for _, tc := range cases {
		h := http.Header{}
		if tc.accept != nil {
			h["Accept"] = tc.accept
		}
		if got := wantsXML(h); got != tc.xml {
			t.Errorf("Accept %q: xml=%v, want %v", tc.accept, got, tc.xml)
		}
	}
}

func TestSuccessInXMLWhenNoAcceptJSONWhenAsked(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	w := ts.doWith("GET", "/api/v2/clusters/c1/upgrade/status", "", http.Header{"Authorization": {testAccount}})
	want := xmlHeader + `<GetUpgradeStatusResponse><error_message></error_message><precheck_report_id>chk-1</precheck_report_id>` +
		`<status>running</status><upgrade_step>upgrading</upgrade_step><upgrade_task><created_at>2024-03-01T10:20:30+08:00</created_at>` +
		`<finished_at></finished_at><message>upgrading node pool np1: 1 of 2 nodes done</message><retries>0</retries><status>running</status>` +
		`<upgrade_status><events><Message>upgrade of cluster c1 to Kubernetes 1.32.7-aliyun.1 requested</Message><Reason>UpgradeStart</Reason>` +
		`<Source>ACK</Source><Timestamp>2022-11-29T07:17:09+00:00</Timestamp><Type>Normal</Type></events><failed>false</failed>` +
		`<is_canceled>false</is_canceled><phase>Nodes</phase><state>running</state><succeeded>1</succeeded><total>2</total></upgrade_status>` +
		`</upgrade_task></GetUpgradeStatusResponse>`
	if w.Code != 200 || w.Body.String() != want || w.Header().Get("Content-Type") != "application/xml;charset=utf-8" {
		t.Errorf("%d %q\n%s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	w = ts.do("GET", "/api/v2/clusters/c1/upgrade/status", "")
	if w.Header().Get("Content-Type") != "application/json;charset=utf-8" || !json.Valid(w.Body.Bytes()) {
		t.Errorf("%q %s", w.Header().Get("Content-Type"), w.Body)
	}
}

// Every operation's XML is well-formed and rooted at <OpResponse>.
func TestEveryOperationHasWellFormedXML(t *testing.T) {
	t.Parallel()
	for _, tc := range opCases {
		ts := newTestServer(t)
		w := ts.doWith(tc.method, tc.target, tc.body, http.Header{"Accept": {"application/xml"}, "Authorization": {testAccount}})
		if w.Header().Get("Content-Type") != "application/xml;charset=utf-8" {
			t.Errorf("%s: Content-Type %q", tc.op, w.Header().Get("Content-Type"))
		}
		dec := xml.NewDecoder(bytes.NewReader(w.Body.Bytes()))
		var root string
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v\n%s", tc.op, err, w.Body)
			}
			if se, ok := tok.(xml.StartElement); ok && root == "" {
				root = se.Name.Local
			}
		}
		if root != tc.op+"Response" {
			t.Errorf("%s: root <%s>", tc.op, root)
		}
	}
}

func TestJSONToXML(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`{}`:                                 `<R></R>`,
		`[]`:                                 `<R></R>`,
		`[{"a":1},{"a":2}]`:                  `<R><item><a>1</a></item><item><a>2</a></item></R>`,
		`{"tasks":[{"id":"x"},{"id":"y"}]}`:  `<R><tasks><id>x</id></tasks><tasks><id>y</id></tasks></R>`,
		`{"ids":["a","b"],"empty":[]}`:       `<R><ids>a</ids><ids>b</ids></R>`,
		`{"m":[[1,2],[3]]}`:                  `<R><m><item>1</item><item>2</item></m><m><item>3</item></m></R>`,
		`{"n":null,"b":true,"f":false}`:      `<R><n></n><b>true</b><f>false</f></R>`,
		`{"s":"a<b & c>d\r\n\u0001"}`:        "<R><s>a&lt;b &amp; c&gt;d&#xD;\n\uFFFD</s></R>",
		`{"1st key":"v","a:b":"w","ok.k":1}`: `<R><_1st_key>v</_1st_key><a_b>w</a_b><ok.k>1</ok.k></R>`,
		`{"big":12345678901234567890}`:       `<R><big>12345678901234567890</big></R>`,
	}
	for in, want := range cases {
		var out bytes.Buffer
		if err := jsonToXML(&out, "R", []byte(in)); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if got := out.String(); got != xmlHeader+want {
			t.Errorf("%s:\n got %s\nwant %s", in, got, xmlHeader+want)
		}
	}
	for _, bad := range []string{``, `{`, `{"a":}`, `[1,`} {
		if err := jsonToXML(&bytes.Buffer{}, "R", []byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestXMLName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"check_id": "check_id", "RequestId": "RequestId", "": "_", "9lives": "_9lives", "-x": "_-x",
		"a b": "a_b", "@x": "_x", "ns:tag": "ns_tag", "中文": "中文",
	} {
		if got := xmlName(in); got != want {
			t.Errorf("xmlName(%q) = %q, want %q", in, got, want)
		}
	}
}

var jsonStringSamples = []string{
	"", "plain", `quote " backslash \ slash /`, "<html>&amp;", "tab\tnl\ncr\rbs\bff\f", "\x00\x01\x1f\x7f",
	"中文 ✓ 😀", "bad \xff utf8 \xc3", "line\u2028sep\u2029", "\ufffd",
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range jsonStringSamples {
		checkJSONString(t, s)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStringSamples {
		f.Add(s)
	}
	f.Fuzz(checkJSONString)
}

func checkJSONString(t *testing.T, s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSuffix(buf.String(), "\n")
	if got := string(appendJSONString(nil, s)); got != want {
		t.Errorf("%q: got %s, want %s", s, got, want)
	}
}

func TestGetUpgradeStatusAlwaysHasAllFiveFields(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t)
	delete(ts.backend.status, "c1") // never upgraded
	w := ts.do("GET", "/api/v2/clusters/c1/upgrade/status", "")
	want := `{"error_message":"","precheck_report_id":"","status":"","upgrade_step":"not_start","upgrade_task":{"created_at":null,"finished_at":null,` +
		`"message":"","retries":0,"status":"","upgrade_status":{"events":[],"failed":"false","is_canceled":false,"phase":"","state":"","succeeded":0,"total":0}}}`
	if w.Body.String() != want {
		t.Errorf("got  %s\nwant %s", w.Body, want)
	}
}

func TestTimeFormats(t *testing.T) {
	t.Parallel()
	utc := time.Date(2024, 1, 2, 3, 4, 5, 600, time.UTC)
	if got := wireTime(utc); got != "2024-01-02T03:04:05+00:00" {
		t.Errorf("wireTime UTC = %s", got)
	}
	if got := wireTime(utc.In(cst)); got != "2024-01-02T11:04:05+08:00" {
		t.Errorf("wireTime CST = %s", got)
	}
	if got := stageTime(utc.In(cst)); got != "2024-01-02 11:04:05" {
		t.Errorf("stageTime = %s", got)
	}
	if got := checkTime(utc); got != "2024-01-02T03:04:05.0000006Z" {
		t.Errorf("checkTime = %s", got)
	}
	for _, f := range []func(time.Time) string{wireTime, stageTime, checkTime} {
		if f(time.Time{}) != "" {
			t.Error("zero time is not empty")
		}
	}
	ts := newTestServer(t)
	m := decodeMap(t, ts.do("GET", "/tasks/T-1", ""))
	if m["created"] != "2024-03-01T10:20:30+08:00" || m["updated"] != "2024-03-01T11:00:00+00:00" {
		t.Errorf("task times %v %v", m["created"], m["updated"])
	}
	stage := m["stages"].([]any)[0].(map[string]any)
	if stage["start_time"] != "2024-03-01 10:20:30" || stage["end_time"] != "2024-03-01 11:00:00" {
		t.Errorf("stage times %v", stage)
	}
	if ev := m["events"].([]any)[0].(map[string]any); ev["timestamp"] != "1669706229286" {
		t.Errorf("event timestamp %v", ev["timestamp"])
	}
	chk := decodeMap(t, ts.do("GET", "/clusters/c1/checks/chk%2F1%20x", ""))
	if chk["created_at"] != "2023-10-16T08:31:20.192030178Z" || chk["finished_at"] != "2023-10-16T08:31:20.292030178Z" {
		t.Errorf("check times %v %v", chk["created_at"], chk["finished_at"])
	}
}
