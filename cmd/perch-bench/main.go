// Command perch-bench loads a running perch, or any server of the Amazon
// Personalize events API, and reports what it measured: calls, events and
// records per second, latency percentiles, errors by type and, against
// perch serve --metrics, the server's own view of the same calls.
//
//	go build -o perch-bench ./cmd/perch-bench
//	perch-bench --endpoint http://127.0.0.1:8080 --setup --rate 2000 --duration 1m
//
// With --prepare it also makes sure of a trained model and its campaign
// (synthetic interactions imported, a solution version trained until
// ACTIVE), and with --recommend-rate it sends runtime calls to that
// campaign at a fixed rate while the events load runs:
//
//	perch-bench --endpoint http://127.0.0.1:8080 --prepare --s3-root DIR --group shop \
//	    --recommend-rate 1000 --rate 4000 --duration 1m
//
// With --batch-lines it runs a batch inference job of the model on that
// many userId lines instead, and checks its output:
//
//	perch-bench --endpoint http://127.0.0.1:8080 --prepare --s3-root DIR --group shop \
//	    --batch-lines 1000000 --server-pid PID
//
// It is a command of its own so that the server's binary carries only the
// server; the generator is the loadgen package, which tests and
// benchmarks share.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/perchdev/perch/loadgen"
	"github.com/perchdev/perch/recipe"
)

const usage = `Usage:
  perch-bench [flags]

perch-bench loads a running server with PutEvents calls (and PutItems and
PutUsers with --mix), SigV4-signed, closed loop (--concurrency) or at a fixed
rate (--rate), and reports calls and events per second, latency percentiles
and errors by type. --endpoint may name several nodes, separated by commas.

--prepare makes sure that --group holds a model of --recipe trained on
synthetic interactions and a campaign serving it. --recommend-rate then sends
GetRecommendations calls (or DescribeCampaign, the baseline) to that campaign,
or to --campaign, at a fixed rate while the events load runs, and reports
both; --recommend-closed sends them in a closed loop instead.

--batch-lines (with --prepare) writes that many userId lines under --s3-root,
runs a batch inference job of the model on them, waits until it is ACTIVE,
and reports its lines per second and what its output holds; --server-pid adds
perch serve's resident memory before and during the job.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "perch-bench:", err)
		os.Exit(2)
	}
}

// errUsage means what was wrong with the command line was said already.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	w := loadgen.DefaultWorkload()
	cfg := loadgen.Config{}
	fs := flag.NewFlagSet("perch-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.Endpoint, "endpoint", "http://127.0.0.1:8080", "`URL` of the server under load, or URL,URL,... of several nodes sharing one store:\nthe connections are dealt to them round-robin, and --setup uses the first")
	setup := fs.Bool("setup", false, "create (or find) the dataset group --group, its datasets and event tracker through the control plane, and send to them")
	group := fs.String("group", "perch-bench", "`NAME` of the dataset group --setup makes sure of")
	fs.StringVar(&w.TrackingID, "tracking-id", "", "tracking `ID` for PutEvents (instead of --setup)")
	fs.StringVar(&w.ItemsDataset, "items-dataset", "", "Items dataset `ARN` for PutItems (instead of --setup)")
	fs.StringVar(&w.UsersDataset, "users-dataset", "", "Users dataset `ARN` for PutUsers (instead of --setup)")

	mix := fs.String("mix", "events=100", "weights of the calls: `events=N,items=N,users=N`")
	batch := fs.String("batch", "10", "records per call: a `size` or a range such as 1-10")
	fs.IntVar(&w.Users, "users", w.Users, "distinct user ids, chosen with a Zipf skew")
	fs.IntVar(&w.Items, "items", w.Items, "distinct item ids, chosen with a Zipf skew")
	fs.IntVar(&w.SessionsPerUser, "sessions-per-user", w.SessionsPerUser, "distinct sessions of each user")
	fs.Float64Var(&w.Zipf, "zipf", w.Zipf, "Zipf exponent (> 1) of the choice of users and items")
	fs.IntVar(&w.Impressions, "impressions", w.Impressions, "item ids in each event's impression list (0-25)")
	fs.Float64Var(&w.DuplicateRate, "dup-rate", w.DuplicateRate, "fraction of events that repeat a recent eventId")
	fs.Float64Var(&w.AnonymousRate, "anonymous-rate", w.AnonymousRate, "fraction of PutEvents calls without a userId")
	fs.BoolVar(&w.Properties, "properties", w.Properties, "send properties fitting the schemas --setup creates")

	fs.Float64Var(&cfg.Rate, "rate", 0, "open loop: calls per `second` on a fixed schedule, latency counted from each call's scheduled time (0: closed loop)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 64, "connections: calls in flight (closed loop) or the most in flight (open loop)")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "measure for this long")
	fs.Int64Var(&cfg.Requests, "requests", 0, "measure this many calls (without --duration: no time limit)")
	fs.DurationVar(&cfg.Warmup, "warmup", 3*time.Second, "load for this long before measuring")
	fs.DurationVar(&cfg.Timeout, "timeout", 10*time.Second, "bound on each call")
	fs.DurationVar(&cfg.Timeline, "timeline", 0, "also report the calls scheduled in each `interval` of this length: count, errors, p50, p99, max (0: off)")
	fs.StringVar(&cfg.Client, "client", loadgen.ClientFastHTTP, "HTTP client: fasthttp or net/http")
	fs.StringVar(&cfg.ServerMetrics, "server-metrics", "", "`URL` of the perch server's metrics (perch serve --metrics ADDR: http://ADDR/metrics);\nthe report adds the server's own view of the measured calls, its store's included")

	fs.BoolVar(&cfg.Sign, "sign", true, "sign calls with SigV4 as aws-sdk-go-v2 does")
	fs.BoolVar(&cfg.ContentSHA256, "content-sha256", false, "also send the payload hash in X-Amz-Content-Sha256, as S3 clients do")
	fs.StringVar(&cfg.Credentials.AccessKeyID, "access-key", envOr("AWS_ACCESS_KEY_ID", "perch-bench"), "access key `id` (default $AWS_ACCESS_KEY_ID)")
	fs.StringVar(&cfg.Credentials.SecretAccessKey, "secret-key", envOr("AWS_SECRET_ACCESS_KEY", "perch-bench"), "secret access `key` (default $AWS_SECRET_ACCESS_KEY)")
	fs.StringVar(&cfg.Credentials.Region, "region", envOr("AWS_REGION", envOr("AWS_DEFAULT_REGION", "us-east-1")), "`region` to sign for")

	prep := fs.Bool("prepare", false, "make sure that --group holds a model of --recipe and a campaign serving it: the datasets and event tracker\n"+
		"(as --setup), synthetic interactions imported through a CSV written under --s3-root, a solution version trained until\n"+
		"ACTIVE, a campaign; what exists is kept. Without --recommend-rate nothing else is sent")
	mc := modelConfig{}
	fs.StringVar(&mc.s3Root, "s3-root", "", "perch serve's --s3-root `DIR`, where --prepare writes its interactions")
	fs.StringVar(&mc.recipe, "recipe", recipe.UserPersonalizationV2, "`recipe` of the model --prepare trains")
	fs.IntVar(&mc.users, "model-users", 50_000, "users of the model's synthetic interactions (recipe.Synthetic); a run asks for them")
	fs.IntVar(&mc.items, "model-items", 20_000, "items of the model's synthetic interactions")
	fs.IntVar(&mc.interactions, "model-interactions", 1_000_000, "synthetic interactions the model is trained on")
	fs.Uint64Var(&mc.seed, "model-seed", 1, "seed of the synthetic interactions")
	rc := runtimeConfig{}
	fs.StringVar(&rc.campaign, "campaign", "", "campaign `ARN` of the runtime calls (instead of --prepare); its model's users are --model-*'s")
	fs.Float64Var(&rc.rate, "recommend-rate", 0, "runtime calls per `second`, open loop, alongside the events load (0: none)")
	fs.BoolVar(&rc.closed, "recommend-closed", false, "send the runtime calls in a closed loop on --recommend-concurrency connections instead, each\n"+
		"connection's next call when its last is answered: the most calls a second")
	fs.StringVar(&rc.call, "recommend-call", callRecommendations, "runtime call: "+callRecommendations+", or "+callDescribeCampaign+" as a baseline of a cheap call")
	fs.IntVar(&rc.concurrency, "recommend-concurrency", 64, "connections of the runtime calls: the most in flight")
	fs.IntVar(&rc.numResults, "num-results", 25, "numResults of GetRecommendations")
	fs.Float64Var(&rc.unknownShare, "unknown-users", 0.1, "share of GetRecommendations for users the model was not trained on:\n"+
		"the events load's users (user-N of --users), served from the events it sends them")
	events := fs.Bool("events", true, "with --recommend-rate, also send the events load (false: the runtime calls alone)")
	bc := batchConfig{}
	fs.IntVar(&bc.lines, "batch-lines", 0, "with --prepare, run a batch inference job of the model on this many userId lines (--unknown-users\n"+
		"of them for users it was not trained on) and report it instead of any load (0: none)")
	fs.IntVar(&bc.serverPID, "server-pid", 0, "with --batch-lines, `PID` of perch serve on this machine: the report adds its resident memory\n"+
		"before and during the job (its peak reset as the job starts)")

	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the generated traffic")
	asJSON := fs.Bool("json", false, "write the report as JSON")
	printBody := fs.Bool("print-body", false, "print one generated PutEvents body and exit (for wrk)")
	cpuProfile := fs.String("cpuprofile", "", "write the generator's own CPU profile to `file`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "perch-bench: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	var err error
	if w.Mix, err = loadgen.ParseMix(*mix); err != nil {
		return err
	}
	if w.BatchMin, w.BatchMax, err = loadgen.ParseBatch(*batch); err != nil {
		return err
	}
	if bc.lines != 0 && (!*prep || bc.lines < 0 || rc.rate > 0 || rc.closed) {
		return fmt.Errorf("--batch-lines needs --prepare and a positive count, and runs no runtime calls")
	}
	if *printBody {
		_, err := stdout.Write(append(loadgen.SampleBody(w, cfg.Seed), '\n'))
		return err
	}
	if cfg.Requests > 0 && !flagSet(fs, "duration") {
		cfg.Duration = 0
	}
	// Nodes share one store: what the first one sets up, every one serves.
	endpoints, err := loadgen.ParseEndpoints(cfg.Endpoint)
	if err != nil {
		return err
	}
	var resources *loadgen.Resources
	if *setup || *prep {
		res, err := loadgen.Setup(ctx, endpoints[0].String(), cfg.Credentials, *group)
		if err != nil {
			return fmt.Errorf("setup: %w", err)
		}
		fmt.Fprintf(stderr, "perch-bench: dataset group %s, tracking id %s\n", res.DatasetGroupARN, res.TrackingID)
		w.TrackingID, w.ItemsDataset, w.UsersDataset = res.TrackingID, res.ItemsDataset, res.UsersDataset
		resources = res
	}
	var prepared *Prepared
	if *prep {
		mc.group = *group
		if prepared, err = prepare(ctx, endpoints[0].String(), cfg.Credentials, mc, resources, stderr); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		fmt.Fprintf(stderr, "perch-bench: campaign %s\n", prepared.CampaignARN)
		if rc.campaign == "" {
			rc.campaign = prepared.CampaignARN
		}
	}
	if bc.lines != 0 {
		bc.numResults, bc.unknownShare, bc.unknownUsers, bc.seed = rc.numResults, rc.unknownShare, w.Users, cfg.Seed
		bc.known = mc.synthetic().Users
		rep := modelReport{Prepared: prepared}
		if rep.Batch, err = runBatch(ctx, endpoints[0].String(), cfg.Credentials, mc, prepared, bc, stderr); err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		}
		return rep.Batch.WriteText(stdout)
	}
	cfg.Workload = w
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *prep || rc.rate > 0 || rc.closed {
		rc.endpoint, rc.warmup, rc.duration, rc.timeout = endpoints[0], cfg.Warmup, cfg.Duration, cfg.Timeout
		rc.sign, rc.creds, rc.seed, rc.unknownUsers = cfg.Sign, cfg.Credentials, cfg.Seed, w.Users
		return runWithRuntime(ctx, cfg, rc, mc, prepared, *events, *asJSON, stdout)
	}
	rep, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteText(stdout)
}

// modelReport is what perch-bench reports with --prepare or
// --recommend-rate: the model it prepared, the runtime calls, the events
// load beside them.
type modelReport struct {
	Prepared *Prepared       `json:"prepared,omitempty"`
	Runtime  *RuntimeReport  `json:"runtime,omitempty"`
	Events   *loadgen.Report `json:"events,omitempty"`
	Batch    *BatchReport    `json:"batch,omitempty"`
}

// runWithRuntime sends rc's runtime calls, and with events cfg's events
// load at the same time, and reports them; without a rate, it reports
// what --prepare made.
func runWithRuntime(ctx context.Context, cfg loadgen.Config, rc runtimeConfig, mc modelConfig, prepared *Prepared,
	events, asJSON bool, stdout io.Writer) error {
	rep := modelReport{Prepared: prepared}
	if rc.rate > 0 || rc.closed {
		if rc.call == callRecommendations && rc.unknownShare < 1 {
			// The same configuration gives the same data: the users the
			// model was trained on, without asking the server.
			rc.known = mc.synthetic().Users
		}
		if err := rc.check(); err != nil {
			return err
		}
		var evErr error
		done := make(chan struct{})
		if events {
			go func() {
				defer close(done)
				rep.Events, evErr = loadgen.Run(ctx, cfg)
			}()
		} else {
			close(done)
		}
		var err error
		rep.Runtime, err = runRuntime(ctx, rc)
		<-done
		if err = errors.Join(err, evErr); err != nil {
			return err
		}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if p := rep.Prepared; p != nil {
		fmt.Fprintf(stdout, "model: %s of %s, %d interactions of %d users and %d items\n  trainingHours %g (%.1f s); import %.1f s, training %.1f s as polled (0: made before)\n  campaign %s\n",
			p.SolutionVersionARN, mc.recipe, p.Interactions, p.Users, p.Items, p.TrainingHours, p.TrainingHours*3600,
			p.ImportSeconds, p.TrainingSeconds, p.CampaignARN)
	}
	if rep.Runtime != nil {
		if err := rep.Runtime.WriteText(stdout); err != nil {
			return err
		}
	}
	if rep.Events != nil {
		return rep.Events.WriteText(stdout)
	}
	return nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
