package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perchdev/perch/recipe"
)

// gorseConfig says how to run Gorse: its gorse-in-one binary, the
// directory for its SQLite stores, blobs and log, its master.n_jobs, and
// how long to wait for its recommendations.
type gorseConfig struct {
	bin, dir string
	jobs     int
	timeout  time.Duration
}

// gorseTOML is Gorse's configuration: embedded SQLite stores (no
// database server to set up), every event type positive feedback as every
// event counts in perch's default, and recommendations from its
// collaborative filtering (matrix factorisation) alone, ranked as it
// ranks them (no ranker) with no fallback, so that what is scored is its
// counterpart of perch's model. Everything else is Gorse's defaults:
// BPR with its default hyperparameters, no hyperparameter optimisation.
const gorseTOML = `[database]
data_store = "sqlite://{{dir}}/data.sqlite"
cache_store = "sqlite://{{dir}}/cache.sqlite"

[master]
port = {{grpc}}
host = "127.0.0.1"
http_port = {{http}}
http_host = "127.0.0.1"
n_jobs = {{jobs}}

[recommend]
cache_size = 100

[recommend.data_source]
positive_feedback_types = [{{types}}]

[recommend.collaborative]
type = "mf"

[recommend.ranker]
type = "none"
recommenders = ["collaborative"]

[blob]
uri = "{{dir}}/blob"
`

// gorse is a running gorse-in-one.
type gorse struct {
	base string // http://127.0.0.1:port
	cmd  *exec.Cmd
	done chan error
	http *http.Client
}

// gorseRow runs Gorse on train and scores its lists for users. Its
// training time is its model fit as it reports it (the
// collaborative_filtering_fit_seconds metric); ready is from the start of
// the feedback import to the end of its first recommendation run, which
// is when every held-out user's recommendations are in its cache.
func gorseRow(c gorseConfig, all, train *recipe.Data, users []recipe.HeldOut, logf func(string, ...any)) (row, error) {
	dir := c.dir
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "perch-quality-gorse-"); err != nil {
			return row{}, err
		}
	}
	g, err := startGorse(c, dir, eventTypes(train))
	if err != nil {
		return row{}, err
	}
	defer g.stop()
	logf("gorse: started, working in %s", dir)

	start := time.Now()
	if err := g.importFeedback(train); err != nil {
		return row{}, err
	}
	imported := time.Now()
	logf("gorse: imported %d feedback rows in %v", len(train.Interactions), imported.Sub(start).Round(time.Millisecond))
	// Gorse starts loading the data before the import's answer reaches
	// here, so its tasks are those begun after the import began.
	tasks, err := g.waitRecommendations(start, c.timeout, logf)
	if err != nil {
		return row{}, err
	}
	ready := time.Since(start)
	fit, err := g.metric("gorse_master_collaborative_filtering_fit_seconds")
	if err != nil {
		return row{}, err
	}
	logf("gorse: recommendations ready %v after the import began; model fit %.1f s", ready.Round(time.Millisecond), fit)
	lists, err := g.lists(users)
	if err != nil {
		return row{}, err
	}
	empty, single := emptyLists(lists, users)
	return row{
		name:    "gorse v0.5.4 (BPR, defaults)",
		metrics: recipe.Score(lists, users, len(all.Items)),
		train:   time.Duration(fit * float64(time.Second)),
		ready:   ready,
		note: fmt.Sprintf("feedback import %.1f s; then %s; %d of %d held-out users got no recommendations, %d of them with one distinct item in their input (Gorse holds one of each user's items out of its training to validate, which leaves them none)",
			imported.Sub(start).Seconds(), taskTimes(tasks), empty, len(users), single),
	}, nil
}

func eventTypes(d *recipe.Data) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range d.Interactions {
		if !seen[x.EventType] {
			seen[x.EventType] = true
			out = append(out, x.EventType)
		}
	}
	return out
}

// freePort asks the kernel for a loopback port nobody uses. Another
// process may take it before Gorse does; Gorse then fails to listen and
// the run says so.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startGorse(c gorseConfig, dir string, types []string) (*gorse, error) {
	for _, sub := range []string{"cache", "blob"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	grpcPort, err := freePort()
	if err != nil {
		return nil, err
	}
	quoted := make([]string, len(types))
	for i, t := range types {
		quoted[i] = strconv.Quote(t)
	}
	conf := strings.NewReplacer("{{dir}}", dir, "{{http}}", strconv.Itoa(httpPort), "{{grpc}}", strconv.Itoa(grpcPort),
		"{{jobs}}", strconv.Itoa(c.jobs), "{{types}}", strings.Join(quoted, ", ")).Replace(gorseTOML)
	confPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "gorse.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.bin, "-c", confPath, "--cache-path", filepath.Join(dir, "cache"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	g := &gorse{
		base: fmt.Sprintf("http://127.0.0.1:%d", httpPort),
		cmd:  cmd,
		done: make(chan error, 1),
		http: &http.Client{Timeout: 10 * time.Minute},
	}
	go func() { g.done <- cmd.Wait(); logFile.Close() }()
	if err := g.waitLive(time.Minute); err != nil {
		g.stop()
		return nil, fmt.Errorf("%w (log: %s)", err, logFile.Name())
	}
	return g, nil
}

// stop interrupts Gorse, as its own shutdown expects, and kills it if it
// lingers.
func (g *gorse) stop() {
	_ = g.cmd.Process.Signal(os.Interrupt)
	select {
	case <-g.done:
	case <-time.After(10 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.done
	}
}

func (g *gorse) waitLive(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-g.done:
			g.done <- err
			return fmt.Errorf("gorse exited: %v", err)
		default:
		}
		var health struct{ Ready bool }
		if err := g.getJSON("/api/health/ready", &health); err == nil && health.Ready {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("gorse not ready after a minute")
}

// gorseFeedback is a line of Gorse's feedback import.
type gorseFeedback struct {
	FeedbackType string
	UserId       string //nolint:revive // Gorse's field name
	ItemId       string //nolint:revive // Gorse's field name
	Value        float64
	Timestamp    string
}

// importFeedback sends every interaction of d to Gorse's bulk import
// (the dashboard's), which also starts its training at once rather than
// at its next fit period.
func (g *gorse) importFeedback(d *recipe.Data) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeFeedback(mw, d))
	}()
	resp, err := g.http.Post(g.base+"/api/bulk/feedback", mw.FormDataContentType(), pr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("feedback import: %s: %s", resp.Status, body)
	}
	return nil
}

func writeFeedback(mw *multipart.Writer, d *recipe.Data) error {
	part, err := mw.CreateFormFile("file", "feedback.jsonl")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(part, 1<<20)
	enc := json.NewEncoder(bw)
	for _, x := range d.Interactions {
		v := float64(x.Value)
		if math.IsNaN(v) { // JSON has no NaN; an event without a value
			v = 0
		}
		if err := enc.Encode(gorseFeedback{
			FeedbackType: x.EventType,
			UserId:       d.Users[x.User],
			ItemId:       d.Items[x.Item],
			Value:        v,
			Timestamp:    time.UnixMilli(x.Time).UTC().Format(time.RFC3339Nano),
		}); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return mw.Close()
}

// gorseTask is an entry of Gorse's task list (its dashboard's).
type gorseTask struct {
	Name, Status, Error   string
	Count, Total          int
	StartTime, FinishTime time.Time
}

// waitRecommendations waits for Gorse's first recommendation run that
// began after since to complete, and gives the tasks that began after
// since: Gorse computes every user's recommendations in that run, after
// loading the data and fitting its model, and serves them from its cache.
func (g *gorse) waitRecommendations(since time.Time, limit time.Duration, logf func(string, ...any)) ([]gorseTask, error) {
	deadline := time.Now().Add(limit)
	lastLog := time.Now()
	for time.Now().Before(deadline) {
		var tasks, began []gorseTask
		if err := g.getJSON("/api/dashboard/tasks", &tasks); err != nil {
			return nil, err
		}
		for _, t := range tasks {
			if t.StartTime.After(since) {
				began = append(began, t)
			}
		}
		for _, t := range began {
			if t.Status == "Failed" && t.Name != "Collect Garbage in Cache" {
				return nil, fmt.Errorf("task %q failed: %s", t.Name, t.Error)
			}
			if t.Name == "Generate recommendation" && t.Status == "Complete" {
				return began, nil
			}
		}
		if time.Since(lastLog) > time.Minute {
			lastLog = time.Now()
			for _, t := range tasks {
				if t.Status == "Running" {
					logf("gorse: %s %d/%d", t.Name, t.Count, t.Total)
				}
			}
		}
		time.Sleep(time.Second)
	}
	return nil, fmt.Errorf("no recommendations after %v", limit)
}

// taskTimes says how long each of Gorse's finished tasks took.
func taskTimes(tasks []gorseTask) string {
	var parts []string
	for _, t := range tasks {
		if !t.FinishTime.IsZero() {
			parts = append(parts, fmt.Sprintf("%s %.1f s", t.Name, t.FinishTime.Sub(t.StartTime).Seconds()))
		}
	}
	return strings.Join(parts, ", ")
}

// metric reads one gauge of Gorse's Prometheus metrics.
func (g *gorse) metric(name string) (float64, error) {
	resp, err := g.http.Get(g.base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no metric %s", name)
}

// emptyLists counts the users given nothing, and among them those whose
// input has a single distinct item.
func emptyLists(lists [][]string, users []recipe.HeldOut) (empty, single int) {
	for i, l := range lists {
		if len(l) > 0 {
			continue
		}
		empty++
		distinct := map[string]bool{}
		for _, e := range users[i].Input {
			distinct[e.Item] = true
		}
		if len(distinct) == 1 {
			single++
		}
	}
	return empty, single
}

// lists asks Gorse for each held-out user's top 25, as its REST API
// serves them (it leaves out items the user already has).
func (g *gorse) lists(users []recipe.HeldOut) ([][]string, error) {
	lists := make([][]string, len(users))
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				errs[i] = g.getJSON("/api/recommend/"+url.PathEscape(users[i].User)+"?n=25", &lists[i])
			}
		})
	}
	for i := range users {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return lists, nil
}

func (g *gorse) getJSON(path string, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := g.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, body)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
