package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/personalize"
	ptypes "github.com/aws/aws-sdk-go-v2/service/personalize/types"

	"github.com/perchdev/perch/loadgen"
)

// batchConfig is one batch inference job of the prepared version: lines
// userId lines, as a user's job would ask them.
type batchConfig struct {
	lines      int
	numResults int
	// known are the users of the model's data; unknownShare of the lines
	// name one of unknownUsers other users instead (user-N), as the
	// runtime calls do, so that the job asks what GetRecommendations is
	// asked in the same run.
	known        []string
	unknownShare float64
	unknownUsers int
	seed         uint64
	// serverPID, when not 0, is perch serve's process on this machine,
	// whose memory the report adds.
	serverPID int
}

// BatchReport is what one batch inference job took, and what its output
// held.
type BatchReport struct {
	JobARN     string `json:"jobArn"`
	Input      string `json:"input"`
	Output     string `json:"output"`
	Lines      int    `json:"lines"`
	InputBytes int64  `json:"inputBytes"`
	NumResults int    `json:"numResults"`
	// Seconds is the job's time from CreateBatchInferenceJob to ACTIVE
	// as polled; LinesPerSecond the input lines over it.
	Seconds        float64 `json:"seconds"`
	LinesPerSecond float64 `json:"linesPerSecond"`

	OutputLines int   `json:"outputLines"`
	OutputBytes int64 `json:"outputBytes"`
	// ErrorLines are output lines with an error rather than items;
	// ShortAnswers lines with fewer items than asked for; OutOfPlace
	// lines whose input is not the input line of the same number.
	ErrorLines   int    `json:"errorLines"`
	ErrorSample  string `json:"errorSample,omitempty"`
	ShortAnswers int    `json:"shortAnswers"`
	OutOfPlace   int    `json:"outOfPlace"`

	// Memory is perch serve's, with --server-pid.
	Memory *ServerMemory `json:"memory,omitempty"`
}

// ServerMemory is a process's resident memory around a batch job, in
// MiB: before the job, the largest of the samples taken at each poll,
// and the peak: the kernel's high-water mark (VmHWM), reset as the job is
// created so that it covers the job alone, or the largest sample if that
// is larger (the kernel updates the mark only now and then, and can miss
// a peak the process gave back before it did).
type ServerMemory struct {
	BeforeMiB     float64 `json:"beforeMiB"`
	PeakSampleMiB float64 `json:"peakSampleMiB"`
	HighWaterMiB  float64 `json:"highWaterMiB"`
	PeakMiB       float64 `json:"peakMiB"`
	AfterMiB      float64 `json:"afterMiB"`
	Samples       int     `json:"samples"`
}

// userLine is line i of the input cfg's job reads, without its end: the
// same for the same seed, so that the output can be checked line by line
// against it.
func (c batchConfig) userLine(rng *rand.Rand) string {
	if len(c.known) == 0 || rng.Float64() < c.unknownShare {
		return "user-" + strconv.Itoa(rng.IntN(max(c.unknownUsers, 1)))
	}
	return c.known[rng.IntN(len(c.known))]
}

func (c batchConfig) rng() *rand.Rand { return rand.New(rand.NewPCG(c.seed, uint64(c.lines))) }

// runBatch writes the job's input under the bucket --prepare writes to,
// runs a batch inference job of p's version on it through the SDK,
// waits for ACTIVE and checks the output line by line.
func runBatch(ctx context.Context, endpoint string, creds loadgen.Credentials, mc modelConfig, p *Prepared, c batchConfig, log io.Writer) (*BatchReport, error) {
	if mc.s3Root == "" {
		return nil, fmt.Errorf("--batch-lines writes its input under perch serve's --s3-root: give the same directory as --s3-root")
	}
	folder := fmt.Sprintf("%s-batch-%d", mc.group, c.lines)
	inKey, outFolder := folder+"/users.jsonl", folder+"/out/"
	rep := &BatchReport{
		Input: "s3://" + s3Bucket + "/" + inKey, Output: "s3://" + s3Bucket + "/" + outFolder,
		Lines: c.lines, NumResults: c.numResults,
	}
	inPath := filepath.Join(mc.s3Root, s3Bucket, filepath.FromSlash(inKey))
	outPath := filepath.Join(mc.s3Root, s3Bucket, filepath.FromSlash(outFolder), "users.jsonl.out")
	// A job run again must not be checked against the last one's output.
	if err := os.Remove(outPath); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	fmt.Fprintf(log, "perch-bench: writing %d batch input lines to %s\n", c.lines, rep.Input)
	var err error
	if rep.InputBytes, err = writeBatchInput(inPath, c); err != nil {
		return nil, fmt.Errorf("writing the batch input: %w", err)
	}

	var mem *memoryWatch
	if c.serverPID != 0 {
		if mem, err = watchMemory(c.serverPID); err != nil {
			return nil, err
		}
	}
	cl := controlPlane(endpoint, creds)
	name := fmt.Sprintf("%s-%d", folder, time.Now().UnixNano())
	out, err := cl.CreateBatchInferenceJob(ctx, &personalize.CreateBatchInferenceJobInput{
		JobName: &name, SolutionVersionArn: &p.SolutionVersionARN, NumResults: aws.Int32(int32(c.numResults)),
		JobInput:  &ptypes.BatchInferenceJobInput{S3DataSource: &ptypes.S3DataConfig{Path: &rep.Input}},
		JobOutput: &ptypes.BatchInferenceJobOutput{S3DataDestination: &ptypes.S3DataConfig{Path: &rep.Output}},
		RoleArn:   aws.String("arn:aws:iam::000000000000:role/perch-bench"),
	})
	if err != nil {
		return nil, fmt.Errorf("creating the batch inference job: %w", err)
	}
	rep.JobARN = aws.ToString(out.BatchInferenceJobArn)
	fmt.Fprintf(log, "perch-bench: batch inference job %s\n", rep.JobARN)
	rep.Seconds, err = waitActive(ctx, "batch inference job "+rep.JobARN, func() (string, string, error) {
		if mem != nil {
			mem.sample()
		}
		out, err := cl.DescribeBatchInferenceJob(ctx, &personalize.DescribeBatchInferenceJobInput{BatchInferenceJobArn: &rep.JobARN})
		if err != nil {
			return "", "", err
		}
		return aws.ToString(out.BatchInferenceJob.Status), aws.ToString(out.BatchInferenceJob.FailureReason), nil
	})
	if err != nil {
		return nil, err
	}
	if mem != nil {
		if rep.Memory, err = mem.done(); err != nil {
			return nil, err
		}
	}
	if rep.Seconds > 0 {
		rep.LinesPerSecond = float64(c.lines) / rep.Seconds
	}
	fmt.Fprintf(log, "perch-bench: %d lines in %.1f s; checking the output\n", c.lines, rep.Seconds)
	if err := checkBatchOutput(outPath, c, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// writeBatchInput writes c's input lines to path, whole or not at all,
// and returns its size.
func writeBatchInput(path string, c batchConfig) (size int64, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return 0, err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".batch-*")
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	rng := c.rng()
	var line []byte
	for range c.lines {
		line = append(line[:0], `{"userId":`...)
		line = strconv.AppendQuote(line, c.userLine(rng))
		line = append(line, "}\n"...)
		n, err := w.Write(line)
		if err != nil {
			return 0, err
		}
		size += int64(n)
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	return size, os.Rename(f.Name(), path)
}

// checkBatchOutput reads the job's output at path into rep: its size,
// its lines, and how many of them failed, came short or out of place.
func checkBatchOutput(path string, c batchConfig, rep *BatchReport) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("the batch output: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	rep.OutputBytes = st.Size()
	lines := bufio.NewScanner(f)
	lines.Buffer(make([]byte, 64<<10), 1<<20)
	rng := c.rng()
	for lines.Scan() {
		rep.OutputLines++
		var got struct {
			Input struct {
				UserID string `json:"userId"`
			} `json:"input"`
			Output *struct {
				RecommendedItems []string `json:"recommendedItems"`
			} `json:"output"`
			Error *string `json:"error"`
		}
		if err := json.Unmarshal(lines.Bytes(), &got); err != nil {
			return fmt.Errorf("output line %d, %.200q: %w", rep.OutputLines, lines.Bytes(), err)
		}
		if rep.OutputLines > c.lines || got.Input.UserID != c.userLine(rng) {
			rep.OutOfPlace++
		}
		switch {
		case got.Error != nil || got.Output == nil:
			rep.ErrorLines++
			if rep.ErrorSample == "" {
				rep.ErrorSample = lines.Text()
			}
		case len(got.Output.RecommendedItems) < c.numResults:
			rep.ShortAnswers++
		}
	}
	return lines.Err()
}

// memoryWatch follows a process's resident memory through a job.
type memoryWatch struct {
	pid int
	mem ServerMemory
}

// watchMemory reads the process's memory before the job and resets its
// high-water mark (clear_refs 5, Linux 4.0 on), so that the peak read
// after the job is the job's.
func watchMemory(pid int) (*memoryWatch, error) {
	w := &memoryWatch{pid: pid}
	rss, _, err := w.read()
	if err != nil {
		return nil, err
	}
	w.mem.BeforeMiB = rss
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		return nil, fmt.Errorf("resetting the peak memory of process %d: %w", pid, err)
	}
	return w, nil
}

func (w *memoryWatch) sample() {
	if rss, _, err := w.read(); err == nil {
		w.mem.Samples++
		w.mem.PeakSampleMiB = max(w.mem.PeakSampleMiB, rss)
	}
}

func (w *memoryWatch) done() (*ServerMemory, error) {
	rss, hwm, err := w.read()
	if err != nil {
		return nil, err
	}
	w.mem.AfterMiB, w.mem.HighWaterMiB = rss, hwm
	w.mem.PeakMiB = max(hwm, w.mem.PeakSampleMiB)
	return &w.mem, nil
}

// read returns the process's resident memory and its high-water mark,
// in MiB.
func (w *memoryWatch) read() (rss, hwm float64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", w.pid))
	if err != nil {
		return 0, 0, fmt.Errorf("the memory of process %d: %w", w.pid, err)
	}
	for line := range strings.Lines(string(b)) {
		name, value, _ := strings.Cut(line, ":")
		kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 64)
		switch {
		case name != "VmRSS" && name != "VmHWM":
		case err != nil:
			return 0, 0, fmt.Errorf("process %d's %s: %q", w.pid, name, value)
		case name == "VmRSS":
			rss = kb / 1024
		default:
			hwm = kb / 1024
		}
	}
	return rss, hwm, nil
}

// WriteText writes the report for people.
func (rep *BatchReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "batch inference job %s\n", rep.JobARN)
	fmt.Fprintf(&b, "  input      %s: %d lines, %d bytes, %d results a line\n", rep.Input, rep.Lines, rep.InputBytes, rep.NumResults)
	fmt.Fprintf(&b, "  took       %.1f s to ACTIVE, %.0f lines/s\n", rep.Seconds, rep.LinesPerSecond)
	fmt.Fprintf(&b, "  output     %s: %d lines, %d bytes; %d errors, %d short, %d out of place\n",
		rep.Output, rep.OutputLines, rep.OutputBytes, rep.ErrorLines, rep.ShortAnswers, rep.OutOfPlace)
	if rep.ErrorSample != "" {
		fmt.Fprintf(&b, "  error      e.g. %.300s\n", rep.ErrorSample)
	}
	if m := rep.Memory; m != nil {
		fmt.Fprintf(&b, "  server RSS %.1f MiB before; during the job at most %.1f MiB (VmHWM %.1f MiB, %.1f MiB in %d samples); %.1f MiB after\n",
			m.BeforeMiB, m.PeakMiB, m.HighWaterMiB, m.PeakSampleMiB, m.Samples, m.AfterMiB)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
