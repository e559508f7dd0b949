package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeevents"
	etypes "github.com/aws/aws-sdk-go-v2/service/personalizeevents/types"
	"github.com/aws/aws-sdk-go-v2/service/personalizeruntime"
	"github.com/aws/smithy-go"
	"github.com/chromedp/chromedp"
	"github.com/perchdev/perch/internal/testenv"
)

// The console's tests drive it in Debian's headless Chromium as a person
// would: they open its pages, type into its forms and read what it shows,
// against a real perch serve fed by the AWS CLI and the Go SDK.
//
// PERCH_SCREENSHOTS=1 also writes a PNG of each view into docs/console/.

// browser is one headless Chromium tab.
type browser struct {
	t   *testing.T
	ctx context.Context

	mu     sync.Mutex
	errors []string // uncaught exceptions and console errors of the page
}

// newBrowser starts Chromium with a profile of its own; a missing
// Chromium skips the test in the quick loop and fails it in CI.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		testenv.Missing(t, "the console's tests need Chromium (on Debian: apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
		chromedp.DisableGPU,
		// The machine's network is closed; these keep Chromium from trying
		// to reach Google's hosts at every start.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("hide-scrollbars", true),
	)
	if os.Geteuid() == 0 {
		// Chromium's sandbox refuses to run as root, as CI does.
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelAlloc)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	b := &browser{t: t, ctx: ctx}
	messages := chromedp.Console(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			// The browser's own log (Source set) reports every 4xx answer,
			// which the console meets on purpose (a 401 before login).
			if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source == "") {
				b.mu.Lock()
				b.errors = append(b.errors, m.String())
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancelTab()
		<-done
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.errors {
			t.Errorf("the page reported %s", e)
		}
	})
	return b
}

func (b *browser) run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%v (the page shows: %s)", err, b.pageText())
	}
}

func (b *browser) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return text
}

// evalJS evaluates a JavaScript expression and returns its value.
func evalJS[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("%s: %v (the page shows: %s)", expr, err, b.pageText())
	}
	return v
}

// eval evaluates a JavaScript expression and decodes its value, as JSON,
// into out unless out is nil.
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	text := evalJS[string](b, `JSON.stringify(`+expr+`) ?? "null"`)
	if out != nil {
		if err := json.Unmarshal([]byte(text), out); err != nil {
			b.t.Fatalf("%s gave %s: %v", expr, text, err)
		}
	}
}

// waitFor polls a JavaScript condition until it holds and returns how long
// that took; it fails t after within.
func (b *browser) waitFor(what, cond string, within time.Duration) time.Duration {
	b.t.Helper()
	start := time.Now()
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`Boolean(`+cond+`)`))
		cancel()
		if err != nil {
			b.t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return time.Since(start)
		}
		if time.Since(start) > within {
			b.t.Fatalf("%s did not happen within %v; the page shows:\n%s", what, within, b.pageText())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// setValue fills a field or chooses an option as a person would, with the
// input and change events that follow; it fails when a select has no such
// option.
func (b *browser) setValue(selector, value string) chromedp.Action[chromedp.Void] {
	js := `(() => { const el = document.querySelector(` + jsString(selector) + `); if (!el) return false; ` +
		`el.value = ` + jsString(value) + `; el.dispatchEvent(new Event("input", {bubbles: true})); ` +
		`el.dispatchEvent(new Event("change", {bubbles: true})); return el.value === ` + jsString(value) + `; })()`
	return chromedp.Steps(chromedp.WaitReady(chromedp.CSS(selector)), chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		ok, err := chromedp.Evaluate[bool](js)(ctx, t)
		if err == nil && !ok {
			err = fmt.Errorf("%s cannot take the value %q", selector, value)
		}
		return err
	}))
}

// open shows a view of the console by its hash, as following a link does,
// and waits until the view has replaced the one before it.
func (b *browser) open(hash string) {
	b.t.Helper()
	b.eval(`(() => { const shown = document.querySelector("#app > *"); if (shown) shown.dataset.stale = "1"; `+
		`location.hash = `+jsString(hash)+`; })()`, nil)
	b.waitFor("the view "+hash, `!document.querySelector("#app[aria-busy]") && document.querySelector("#app > *") && `+
		`!document.querySelector("#app > [data-stale]")`, 10*time.Second)
}

// screenshot writes the page as docs/console/<name>.png when
// PERCH_SCREENSHOTS=1.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	if os.Getenv("PERCH_SCREENSHOTS") != "1" {
		return
	}
	// The page is shot from its top, under its sticky header, once the
	// animations (a new tail row's highlight) have settled.
	b.eval(`window.scrollTo(0, 0)`, nil)
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "docs", "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// selText is the text of the first element a selector matches, "" if none.
func selText(selector string) string {
	return `((document.querySelector(` + jsString(selector) + `) || {}).innerText || "")`
}

func hashOf(view string, args ...string) string {
	h := "#/" + view
	for _, a := range args {
		h += "/" + url.PathEscape(a)
	}
	return h
}

// consoleAWSCLI runs the AWS CLI against endpoint as key (any key with --auth
// none) and returns its exit status and output.
func consoleAWSCLI(t *testing.T, endpoint, key string, args ...string) (int, string) {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		testenv.Missing(t, "the console's tests send events with the AWS CLI (on Debian: apt-get install awscli)")
	}
	cmd := exec.Command(path, append(args, "--endpoint-url", endpoint, "--region", "eu-west-1", "--output", "json")...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HOME="+home, "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+key+"-secret",
		"AWS_CONFIG_FILE="+filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "none"),
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	} else if err != nil {
		t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	return 0, out.String()
}

// consoleDemo is a quickstart server whose demo group holds 60 users'
// views of 60 items and, once trained, two solutions, each deployed in a
// campaign, and a filter.
type consoleDemo struct {
	s          *server
	group      string
	dataset    string
	trackingID string
	campaigns  []string
	filter     string
	// clicked are user-7's items, which the filter takes out.
	clicked []string
}

// newConsoleDemo starts the server and sends the events; train trains and
// deploys the solutions, which the tests that need them call last.
func newConsoleDemo(t *testing.T) *consoleDemo {
	t.Helper()
	s := startServer(t, t.TempDir(), "--quickstart")
	m := trackingIDLine.FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("no trackingId in the quickstart's output:\n%s", s.stdout.String())
	}
	d := &consoleDemo{s: s, trackingID: m[1],
		group:   "arn:aws:personalize:eu-west-1:111122223333:dataset-group/perch-demo",
		dataset: "arn:aws:personalize:eu-west-1:111122223333:dataset/perch-demo/INTERACTIONS"}
	ctx := context.Background()
	ev := clusterEvents(s.endpoint)
	// Two tastes: even users view 22 of the 30 even items, odd users 22 of
	// the odd ones; a few of their views are clicks.
	start := time.Now().Add(-2 * time.Hour)
	for u := range 60 {
		var list []etypes.Event
		for i := range 22 {
			item := 2*((u*5+i*7)%30) + u%2
			typ := "view"
			if i%7 == 3 {
				typ = "click"
				if u == 7 {
					d.clicked = append(d.clicked, fmt.Sprint("item-", item))
				}
			}
			list = append(list, etypes.Event{EventType: aws.String(typ), ItemId: aws.String(fmt.Sprint("item-", item)),
				EventId: aws.String(fmt.Sprintf("e-%d-%d", u, i)),
				SentAt:  aws.Time(start.Add(time.Duration(u*22+i) * 5 * time.Second))})
			if len(list) == 10 || i == 21 {
				if _, err := ev.PutEvents(ctx, &personalizeevents.PutEventsInput{TrackingId: aws.String(d.trackingID),
					UserId: aws.String(fmt.Sprint("user-", u)), SessionId: aws.String(fmt.Sprint("session-", u)), EventList: list}); err != nil {
					t.Fatal(err)
				}
				list = nil
			}
		}
	}
	return d
}

// train trains aws-user-personalization-v2 and aws-popularity-count on
// the demo's events, deploys each in a campaign, and makes a filter that
// leaves out what a user clicked.
func (d *consoleDemo) train(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	cp := controlClient(d.s.endpoint)
	var versions []*string
	for _, r := range []struct{ name, recipe string }{{"personal", "aws-user-personalization-v2"}, {"popular", "aws-popularity-count"}} {
		sol, err := cp.CreateSolution(ctx, &personalize.CreateSolutionInput{Name: aws.String(r.name), DatasetGroupArn: aws.String(d.group),
			RecipeArn: aws.String("arn:aws:personalize:::recipe/" + r.recipe), PerformAutoTraining: aws.Bool(false)})
		if err != nil {
			t.Fatal(err)
		}
		v, err := cp.CreateSolutionVersion(ctx, &personalize.CreateSolutionVersionInput{SolutionArn: sol.SolutionArn})
		if err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v.SolutionVersionArn)
	}
	for i, v := range versions {
		waitVersionActive(t, cp, v, 3*time.Minute)
		c, err := cp.CreateCampaign(ctx, &personalize.CreateCampaignInput{Name: aws.String([]string{"personal", "popular"}[i]),
			SolutionVersionArn: v, MinProvisionedTPS: aws.Int32(1)})
		if err != nil {
			t.Fatal(err)
		}
		d.campaigns = append(d.campaigns, aws.ToString(c.CampaignArn))
	}
	f, err := cp.CreateFilter(ctx, &personalize.CreateFilterInput{Name: aws.String("not-clicked"), DatasetGroupArn: aws.String(d.group),
		FilterExpression: aws.String(`EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($TYPE)`)})
	if err != nil {
		t.Fatal(err)
	}
	d.filter = aws.ToString(f.FilterArn)
	for _, arn := range d.campaigns {
		waitActive(t, func() (string, error) {
			out, err := cp.DescribeCampaign(ctx, &personalize.DescribeCampaignInput{CampaignArn: aws.String(arn)})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Campaign.Status), nil
		})
	}
	waitActive(t, func() (string, error) {
		out, err := cp.DescribeFilter(ctx, &personalize.DescribeFilterInput{FilterArn: aws.String(d.filter)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.Filter.Status), nil
	})
}

func waitActive(t *testing.T, status func() (string, error)) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		s, err := status()
		if err != nil {
			t.Fatal(err)
		}
		if s == "ACTIVE" {
			return
		}
		if strings.Contains(s, "FAILED") || time.Now().After(deadline) {
			t.Fatalf("status %s", s)
		}
	}
}

// TestConsoleInChromium: the groups list, a dataset's live tail fed by
// the AWS CLI, the refused requests, a user's recommendations and the
// try-it form, the metrics side by side.
func TestConsoleInChromium(t *testing.T) {
	b := newBrowser(t)
	d := newConsoleDemo(t)
	if _, err := controlClient(d.s.endpoint).CreateDatasetGroup(context.Background(), &personalize.CreateDatasetGroupInput{
		Name: aws.String("shop"), Domain: ptypes.DomainEcommerce}); err != nil {
		t.Fatal(err)
	}

	t.Run("the groups list shows the quickstart group", func(t *testing.T) {
		b.t = t
		b.run(chromedp.Navigate(d.s.endpoint + "/_perch/console/"))
		b.waitFor("the groups table", `document.querySelector("#groups a[href*='perch-demo']")`, 10*time.Second)
		var account string
		b.eval(selText("#account-id"), &account)
		if account != "111122223333" {
			t.Errorf("the header shows account %q", account)
		}
		var status string
		b.eval(`(() => { for (const tr of document.querySelectorAll("#groups tbody tr")) if (tr.innerText.includes("perch-demo")) return tr.querySelector(".badge").innerText; return ""; })()`, &status)
		if status != "ACTIVE" {
			t.Errorf("perch-demo's status badge reads %q", status)
		}
		b.screenshot("groups")
	})

	t.Run("a group shows its datasets and tracker", func(t *testing.T) {
		b.t = t
		b.eval(`document.querySelector("#groups a[href*='perch-demo']").click()`, nil)
		b.waitFor("the datasets table", `document.querySelector("#datasets")`, 10*time.Second)
		var text string
		b.eval(selText("main"), &text)
		for _, want := range []string{"perch-demo-interactions", "INTERACTIONS", "perch-demo-items", d.trackingID, "No campaigns."} {
			if !strings.Contains(text, want) {
				t.Errorf("the group view lacks %q:\n%s", want, text)
			}
		}
		var copies int
		b.eval(`document.querySelectorAll("main button.copy").length`, &copies)
		if copies < 5 {
			t.Errorf("%d copy buttons on the group view", copies)
		}
	})

	t.Run("a running job's progress shows as a bar and N of M", func(t *testing.T) {
		b.t = t
		// The jobs table as the page draws it from api/group's entries:
		// one job that knows its total, one that does not, one finished.
		b.eval(`(() => { import("./views/group.js").then((m) => { `+
			`const running = {kind: "import", name: "big", arn: "arn:aws:personalize:eu-west-1:111122223333:dataset-import-job/big", `+
			`status: "CREATE IN_PROGRESS", progress: {done: 2000, unit: "records", total: 3500}}; `+
			`const counting = {...running, name: "users", kind: "deletion", status: "IN_PROGRESS", progress: {done: 1500, unit: "lines"}}; `+
			`const done = {...running, name: "old", status: "ACTIVE", progress: undefined}; `+
			`const table = m.jobsTable([running, counting, done], {id: "progress-probe"}); `+
			`document.querySelector("main").append(table); }); })()`, nil)
		b.waitFor("the probe table", `document.querySelector("#progress-probe")`, 10*time.Second)
		var rows []string
		b.eval(`[...document.querySelectorAll("#progress-probe tbody tr")].map((tr) => tr.children[2].innerText.replace(/\s+/g, " ").trim())`, &rows)
		want := []string{"CREATE IN_PROGRESS 2,000 of 3,500 records", "IN_PROGRESS 1,500 lines", "ACTIVE"}
		if !slices.Equal(rows, want) {
			t.Errorf("the jobs' status cells read %q, want %q", rows, want)
		}
		var bars []float64
		b.eval(`[...document.querySelectorAll("#progress-probe progress")].map((p) => p.value / p.max)`, &bars)
		if len(bars) != 1 || math.Abs(bars[0]-2000.0/3500) > 1e-9 {
			t.Errorf("progress bars = %v, want one at 2000/3500", bars)
		}
		b.eval(`document.querySelector("#progress-probe").remove()`, nil)
	})

	const cliUser = "cli-user"
	t.Run("an event sent by the AWS CLI appears in the live tail", func(t *testing.T) {
		b.t = t
		b.open(hashOf("dataset", d.dataset))
		b.waitFor("the tail to go live", selText("#tail-state")+` === "live"`, 10*time.Second)
		var count string
		b.eval(selText("#record-count"), &count)
		if count != "1,320" {
			t.Errorf("the record count reads %q, want 1,320", count)
		}
		put := func(eventID string) time.Duration {
			t.Helper()
			code, out := consoleAWSCLI(t, d.s.endpoint, "AKIDCONSOLE", "personalize-events", "put-events", "--tracking-id", d.trackingID,
				"--user-id", cliUser, "--session-id", "cli-session",
				"--event-list", `[{"eventId":"`+eventID+`","eventType":"purchase","itemId":"item-3","sentAt":1700000000,"properties":"{\"device\":\"phone\"}"}]`)
			if code != 0 {
				t.Fatalf("put-events: %d %s", code, out)
			}
			return b.waitFor("the CLI's event in the tail",
				`[...document.querySelectorAll("#tail-rows tr.new")].some(tr => tr.innerText.includes("`+eventID+`"))`, 5*time.Second)
		}
		took := put("cli-1")
		t.Logf("the event showed %v after the CLI returned", took)
		if took > time.Second {
			t.Errorf("the event took %v to show in the tail", took)
		}
		var first string
		b.eval(selText("#tail-rows tr"), &first)
		for _, want := range []string{"purchase", cliUser, "cli-session", "item-3", "cli-1", `{"device":"phone"}`, "2023-11-14 22:13:20Z"} {
			if !strings.Contains(first, want) {
				t.Errorf("the tail's row lacks %q: %q", want, first)
			}
		}
		var duplicateMarked bool
		b.eval(`document.querySelector("#tail-rows tr").classList.contains("duplicate")`, &duplicateMarked)
		if duplicateMarked {
			t.Error("a first event is marked as a duplicate")
		}
		b.screenshot("dataset")
	})

	t.Run("a resent eventId shows as a duplicate", func(t *testing.T) {
		b.t = t
		code, out := consoleAWSCLI(t, d.s.endpoint, "AKIDCONSOLE", "personalize-events", "put-events", "--tracking-id", d.trackingID,
			"--user-id", cliUser, "--session-id", "cli-session",
			"--event-list", `[{"eventId":"cli-1","eventType":"purchase","itemId":"item-3","sentAt":1700000000}]`)
		if code != 0 {
			t.Fatalf("put-events: %d %s", code, out)
		}
		b.waitFor("the duplicate in the tail", `(() => { const tr = document.querySelector("#tail-rows tr"); `+
			`return tr.classList.contains("new") && tr.classList.contains("duplicate") && tr.innerText.includes("duplicate") && tr.innerText.includes("cli-1"); })()`,
			5*time.Second)
		// A duplicate is stored too (marked), so both count; the view reads
		// its figures again every 5 seconds.
		b.waitFor("the record count to take both events", selText("#record-count")+` === "1,322"`, 8*time.Second)
	})

	t.Run("the tail filters by user", func(t *testing.T) {
		b.t = t
		b.run(b.setValue(`#tail-filters input[name="userId"]`, "user-3"),
			chromedp.Click(chromedp.CSS(`#tail-filters button[type="submit"]`)))
		b.waitFor("user-3's records", selText("#tail-state")+` === "live" && document.querySelectorAll("#tail-rows tr").length === 22`, 10*time.Second)
		ev := clusterEvents(d.s.endpoint)
		for _, user := range []string{"user-4", "user-3"} {
			if _, err := ev.PutEvents(context.Background(), &personalizeevents.PutEventsInput{TrackingId: aws.String(d.trackingID),
				UserId: aws.String(user), SessionId: aws.String("late-" + user), EventList: []etypes.Event{{EventType: aws.String("view"),
					ItemId: aws.String("item-1"), SentAt: aws.Time(time.Now())}}}); err != nil {
				t.Fatal(err)
			}
		}
		b.waitFor("user-3's new event", `document.querySelector("#tail-rows tr.new") && `+selText("#tail-rows tr.new")+`.includes("late-user-3")`, 5*time.Second)
		var text string
		b.eval(selText("#tail-rows"), &text)
		if strings.Contains(text, "user-4") || strings.Contains(text, cliUser) {
			t.Errorf("the tail filtered by user-3 shows others' records:\n%s", text)
		}
	})

	t.Run("what a client sent shows as text, never as markup", func(t *testing.T) {
		b.t = t
		b.run(b.setValue(`#tail-filters input[name="userId"]`, ""), chromedp.Click(chromedp.CSS(`#tail-filters button[type="submit"]`)))
		b.waitFor("the unfiltered tail", selText("#tail-state")+` === "live"`, 10*time.Second)
		const markup = `<img src=x onerror="window.injected=1">`
		if _, err := clusterEvents(d.s.endpoint).PutEvents(context.Background(), &personalizeevents.PutEventsInput{
			TrackingId: aws.String(d.trackingID), UserId: aws.String("<b>user</b>"), SessionId: aws.String("markup"),
			EventList: []etypes.Event{{EventType: aws.String("<i>view</i>"), ItemId: aws.String("item-1"), SentAt: aws.Time(time.Now()),
				Properties: aws.String(`{"device":` + jsString(markup) + `}`)}}}); err != nil {
			t.Fatal(err)
		}
		b.waitFor("the event", `document.querySelector("#tail-rows tr.new") && `+selText("#tail-rows tr.new")+`.includes("markup")`, 5*time.Second)
		var row string
		b.eval(selText("#tail-rows tr.new"), &row)
		var elements int
		b.eval(`document.querySelectorAll("#tail-rows img, #tail-rows b, #tail-rows i").length`, &elements)
		var injected bool
		b.eval(`window.injected === 1`, &injected)
		if !strings.Contains(row, "<b>user</b>") || !strings.Contains(row, "<i>view</i>") || !strings.Contains(row, "onerror") || elements != 0 || injected {
			t.Errorf("the row reads %q; %d elements made of it; script ran: %v", row, elements, injected)
		}
	})

	t.Run("a paused tail holds new records until resumed", func(t *testing.T) {
		b.t = t
		b.run(chromedp.Click(chromedp.CSS(`#tail-pause`)))
		if _, err := clusterEvents(d.s.endpoint).PutEvents(context.Background(), &personalizeevents.PutEventsInput{
			TrackingId: aws.String(d.trackingID), UserId: aws.String("user-1"), SessionId: aws.String("while-paused"),
			EventList: []etypes.Event{{EventType: aws.String("view"), ItemId: aws.String("item-1"), SentAt: aws.Time(time.Now())}}}); err != nil {
			t.Fatal(err)
		}
		b.waitFor("the held record to be counted", selText("#tail-count")+`.includes("1 held while paused")`, 5*time.Second)
		var shown bool
		b.eval(selText("#tail-rows")+`.includes("while-paused")`, &shown)
		if shown {
			t.Error("a paused tail shows a new record")
		}
		b.run(chromedp.Click(chromedp.CSS(`#tail-pause`)))
		b.waitFor("the held record", selText("#tail-rows tr.new")+`.includes("while-paused")`, 5*time.Second)
	})

	t.Run("an items dataset lists its items", func(t *testing.T) {
		b.t = t
		items := strings.Replace(d.dataset, "/INTERACTIONS", "/ITEMS", 1)
		code, out := consoleAWSCLI(t, d.s.endpoint, "AKIDCONSOLE", "personalize-events", "put-items", "--dataset-arn", items,
			"--items", `[{"itemId":"item-1","properties":"{\"genres\":\"comedy\",\"price\":9.5}"}]`)
		if code != 0 {
			t.Fatalf("put-items: %d %s", code, out)
		}
		b.open(hashOf("dataset", items))
		b.waitFor("the item", `document.querySelector("#tail-rows tr") && `+selText("#tail-rows tr")+`.includes("item-1")`, 10*time.Second)
		var row, heading string
		b.eval(selText("#tail-rows tr"), &row)
		b.eval(selText("#tail thead"), &heading)
		if !strings.Contains(row, `{"genres":"comedy","price":9.5}`) || !strings.Contains(strings.ToLower(heading), "itemid") {
			t.Errorf("the items dataset's row reads %q under %q", row, heading)
		}
	})

	t.Run("a refused request shows with its error and member", func(t *testing.T) {
		b.t = t
		long := strings.Repeat("x", 300)
		code, out := consoleAWSCLI(t, d.s.endpoint, "AKIDCONSOLE", "personalize-events", "put-events", "--tracking-id", d.trackingID,
			"--user-id", cliUser, "--session-id", "cli-session",
			"--event-list", `[{"eventType":"`+long+`","itemId":"item-3","sentAt":1700000000}]`)
		if code == 0 || !strings.Contains(out, "InvalidInputException") {
			t.Fatalf("put-events with a 300-character event type: %d %s", code, out)
		}
		code, out = consoleAWSCLI(t, d.s.endpoint, "AKIDOTHERAPP", "personalize-events", "put-events", "--tracking-id", "no-such-tracker",
			"--user-id", cliUser, "--session-id", "cli-session", "--event-list", `[{"eventType":"click","itemId":"item-3","sentAt":1700000000}]`)
		if code == 0 || !strings.Contains(out, "does not match any event tracker") {
			t.Fatalf("put-events to an unknown tracking id: %d %s", code, out)
		}
		b.eval(`document.querySelector("header nav a[href='#/refused']").click()`, nil)
		b.waitFor("the refused requests", `document.querySelectorAll("#refused tbody tr").length === 2`, 10*time.Second)
		var newest string
		b.eval(selText("#refused tbody tr"), &newest)
		for _, want := range []string{"PutEvents", "AKIDOTHERAPP", "400", "InvalidInputException", "The tracking ID no-such-tracker does not match"} {
			if !strings.Contains(newest, want) {
				t.Errorf("the newest refused row lacks %q: %q", want, newest)
			}
		}
		var row string
		b.eval(selText("#refused tbody tr:nth-child(2)"), &row)
		for _, want := range []string{"PutEvents", "AKIDCONSOLE", "400", "InvalidInputException",
			"failed to satisfy constraint: Member must have length less than or equal to 256", "eventList.1.member.eventType"} {
			if !strings.Contains(row, want) {
				t.Errorf("the refused row lacks %q: %q", want, row)
			}
		}
		b.screenshot("refused")
	})

	d.train(t)

	t.Run("a user's timeline and each campaign's recommendations", func(t *testing.T) {
		b.t = t
		b.open(hashOf("user", d.group, "user-7"))
		b.waitFor("two campaigns' recommendations", `document.querySelectorAll("#recommendations .rec").length === 2 && `+
			`[...document.querySelectorAll("#recommendations .rec")].every(r => r.querySelectorAll("ol.items li").length === 10)`, 10*time.Second)
		var timeline int
		b.eval(`document.querySelectorAll("#timeline li").length`, &timeline)
		if timeline != 22 {
			t.Errorf("user-7's timeline has %d interactions, want 22", timeline)
		}
		// user-7 viewed 22 of the 30 odd items: the personal campaign ranks
		// the 8 others first.
		var personal []string
		b.eval(`[...document.querySelector("#recommendations .rec[data-arn$='/personal'] ol.items").querySelectorAll("li")].map(li => li.innerText)`, &personal)
		if len(personal) != 10 {
			t.Fatalf("the personal campaign's list: %q", personal)
		}
		odd := 0
		for _, line := range personal {
			var item int
			var score float64
			if _, err := fmt.Sscanf(strings.Join(strings.Fields(line), " "), "item-%d %f", &item, &score); err != nil || score < 0 || score > 1 {
				resp, _ := http.Get(d.s.endpoint + "/_perch/console/api/user?datasetGroupArn=" + url.QueryEscape(d.group) + "&userId=user-7")
				raw, _ := io.ReadAll(resp.Body)
				t.Fatalf("a recommendation reads %q (%v); api/user: %s", line, err, raw)
			}
			odd += item % 2
		}
		if odd < 7 {
			t.Errorf("%d of user-7's 10 recommendations are of their taste (odd items): %q", odd, personal)
		}
		b.screenshot("user")
	})

	t.Run("the try-it form sends a filter and shows the answer or the AWS error", func(t *testing.T) {
		b.t = t
		b.run(
			b.setValue(`#try-target`, "campaignArn "+d.campaigns[0]),
			b.setValue(`#try-num`, "40"),
			b.setValue(`#try-filter`, d.filter),
			b.setValue(`#try-filter-values`, `{"TYPE": "\"click\""}`),
			chromedp.Click(chromedp.CSS(`#try-form button[type="submit"]`)))
		b.waitFor("the answer", `document.querySelector("#try-response")`, 10*time.Second)
		var response string
		b.eval(selText("#try-response"), &response)
		var answer struct {
			ItemList []struct {
				ItemID string  `json:"itemId"`
				Score  float64 `json:"score"`
			} `json:"itemList"`
			RecommendationID string `json:"recommendationId"`
		}
		if err := json.Unmarshal([]byte(response), &answer); err != nil || len(answer.ItemList) == 0 || answer.RecommendationID == "" {
			t.Fatalf("the response shown: %v\n%s", err, response)
		}
		for _, it := range answer.ItemList {
			for _, c := range d.clicked {
				if it.ItemID == c {
					t.Errorf("the filter left user-7's clicked %s in", c)
				}
			}
		}
		b.screenshot("try")

		// GetPersonalizedRanking of a user-personalization campaign: the
		// error any client gets.
		b.run(
			b.setValue(`#try-operation`, "GetPersonalizedRanking"),
			b.setValue(`#try-filter`, ""),
			b.setValue(`#try-filter-values`, ""),
			chromedp.Click(chromedp.CSS(`#try-form button[type="submit"]`)))
		b.waitFor("the error", `document.querySelector("#try-error-type")`, 10*time.Second)
		var status, errType, message string
		b.eval(selText("#try-status"), &status)
		b.eval(selText("#try-error-type"), &errType)
		b.eval(selText("#try-error-message"), &message)
		_, err := personalizeruntime.New(personalizeruntime.Options{Region: "eu-west-1", BaseEndpoint: aws.String(d.s.endpoint),
			Credentials: aws.AnonymousCredentials{}, Retryer: aws.NopRetryer{}}).
			GetPersonalizedRanking(context.Background(), &personalizeruntime.GetPersonalizedRankingInput{
				CampaignArn: aws.String(d.campaigns[0]), UserId: aws.String("user-7"), InputList: []string{}})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("the Go SDK's GetPersonalizedRanking of a campaign that does not rank: %v", err)
		}
		if status != "400" || errType != apiErr.ErrorCode() || message != apiErr.ErrorMessage() {
			t.Errorf("GetPersonalizedRanking of a campaign that does not rank shows %s %s: %s; the Go SDK gets %s: %s",
				status, errType, message, apiErr.ErrorCode(), apiErr.ErrorMessage())
		}
	})

	t.Run("the metrics of both versions side by side", func(t *testing.T) {
		b.t = t
		b.open(hashOf("metrics", d.group))
		b.waitFor("the metrics table", `document.querySelectorAll("#metrics thead tr:first-child th").length === 3`, 10*time.Second)
		var text string
		b.eval(selText("#metrics"), &text)
		for _, want := range []string{"personal", "popular", "aws-user-personalization-v2", "aws-popularity-count", "normalized_discounted_cumulative_gain_at_10", "coverage"} {
			if !strings.Contains(text, want) {
				t.Errorf("the metrics table lacks %q:\n%s", want, text)
			}
		}
		var best int
		b.eval(`document.querySelectorAll("#metrics td.best").length`, &best)
		if best == 0 {
			t.Error("no best value is marked")
		}
		b.screenshot("metrics")
	})

	t.Run("the group lists its campaigns, solutions and filter", func(t *testing.T) {
		b.t = t
		b.open(hashOf("group", d.group))
		b.waitFor("the campaigns", `document.querySelectorAll("#campaigns tbody tr").length === 2`, 10*time.Second)
		var text string
		b.eval(selText("main"), &text)
		for _, want := range []string{"personal", "popular", "not-clicked", "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($TYPE)", "aws-user-personalization-v2"} {
			if !strings.Contains(text, want) {
				t.Errorf("the group view lacks %q", want)
			}
		}
		b.screenshot("group")
	})
}

// TestConsoleLogin: with --auth sigv4 the console asks for a key of the
// credentials file, refuses a wrong secret, and then shows that key's
// account.
func TestConsoleLogin(t *testing.T) {
	b := newBrowser(t)
	creds := writeFile(t, "credentials", serveCredentials)
	s := startServer(t, t.TempDir(), "--quickstart", "--auth", "sigv4", "--credentials", creds)

	b.run(chromedp.Navigate(s.endpoint + "/_perch/console/#/refused"))
	b.waitFor("the login form", `document.querySelector("#login-form")`, 10*time.Second)
	b.screenshot("login")

	login := func(key, secret string) {
		t.Helper()
		b.run(b.setValue(`#login-key`, key),
			b.setValue(`#login-secret`, secret),
			chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)))
	}
	login(demoKey.AccessKeyID, "not-the-secret")
	b.waitFor("the refusal", `document.querySelector("#login-form .error")`, 10*time.Second)

	login(demoKey.AccessKeyID, demoKey.SecretAccessKey)
	b.waitFor("the refused view after logging in", `document.querySelector("#refused") || document.querySelector("main .empty")`, 10*time.Second)
	var account, hash string
	b.eval(selText("#account-id"), &account)
	b.eval(`location.hash`, &hash)
	if account != "444455556666" || hash != "#/refused" {
		t.Errorf("after logging in: account %q, view %q", account, hash)
	}
	b.eval(`document.querySelector("header nav a[href='#/']").click()`, nil)
	b.waitFor("the demo group of the key's account", `document.querySelector("#groups a[href*='444455556666%3Adataset-group%2Fperch-demo']")`, 10*time.Second)

	b.eval(`document.querySelector("#logout").click()`, nil)
	b.waitFor("the login form after logging out", `document.querySelector("#login-form")`, 10*time.Second)
	b.open("#/")
	b.waitFor("the login form for a view after logging out", `document.querySelector("#login-form")`, 10*time.Second)
}

// TestConsoleOnItsOwnAddress: with --console-addr the page, its scripts and
// its API calls all come from that listener, and the live tail works there.
func TestConsoleOnItsOwnAddress(t *testing.T) {
	b := newBrowser(t)
	addr := freeAddr(t)
	s := startServer(t, t.TempDir(), "--quickstart", "--console-addr", addr)
	m := trackingIDLine.FindStringSubmatch(s.stdout.String())
	if m == nil {
		t.Fatalf("no trackingId in the quickstart's output:\n%s", s.stdout.String())
	}
	b.run(chromedp.Navigate("http://" + addr + "/_perch/console/" +
		hashOf("dataset", "arn:aws:personalize:eu-west-1:111122223333:dataset/perch-demo/INTERACTIONS")))
	b.waitFor("the tail to go live", selText("#tail-state")+` === "live"`, 10*time.Second)
	if _, err := clusterEvents(s.endpoint).PutEvents(context.Background(), &personalizeevents.PutEventsInput{
		TrackingId: aws.String(m[1]), UserId: aws.String("apart"), SessionId: aws.String("apart-session"),
		EventList: []etypes.Event{{EventType: aws.String("view"), ItemId: aws.String("item-1"), SentAt: aws.Time(time.Now())}}}); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the event in the tail", `document.querySelector("#tail-rows tr.new") && `+selText("#tail-rows tr.new")+`.includes("apart-session")`, 5*time.Second)
}
