package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/perchdev/perch"
	"github.com/perchdev/perch/internal/leases"
	"github.com/perchdev/perch/recipe"
	"github.com/perchdev/perch/serving"
)

// MaxLineBytes bounds an input line. A line is a user, an item, at most
// a few hundred items to rank and the filter's values: far less. A longer
// line is answered with an error and the job goes on, so that a job's
// memory never depends on its input.
const MaxLineBytes = 1 << 20

// errNoObjects is why a job cannot run without s3:// locations.
var errNoObjects = errors.New("perch serve was started without --s3-root or --s3-endpoint, so it cannot read or write s3:// locations")

// OutputLocation is where a job writes the answers to the input object
// in: <input file name>.out under the job's output path.
func OutputLocation(j *perch.BatchInferenceJob, in string) string {
	return outputLocation(j.Output, in)
}

func outputLocation(o perch.BatchOutput, in string) string {
	out := o.S3DataDestination.Path
	if !strings.HasSuffix(out, "/") {
		out += "/"
	}
	return out + path.Base(in) + ".out"
}

// infer runs the job arn: every input object, chunk after chunk of
// lines, into its output object. The error is the job's failure reason;
// a line that cannot be answered is answered with an error instead, and
// the job goes on. Its progress is the lines answered.
func (s *Service) infer(ctx context.Context, arn string, progress *leases.Progress) error {
	if s.cfg.Objects == nil {
		return errNoObjects
	}
	j, err := s.rs.BatchInferenceJob(ctx, arn)
	if err != nil {
		return err
	}
	v, err := s.cfg.Runtime.Version(ctx, j.SolutionVersionARN, j.GroupARN)
	if err != nil {
		return fmt.Errorf("loading the model of solution version %s: %w", j.SolutionVersionARN, err)
	}
	inputs, err := s.inputs(ctx, j.Input, j.Output)
	if err != nil {
		return err
	}
	// The lines are independent: each worker answers with an answerer of
	// its own, so that a job uses every core its process may.
	answers := make([]answerFunc, s.cfg.Workers)
	for i := range answers {
		a := &answerer{s: s, job: j, version: v}
		answers[i] = a.answer
	}
	progress.Start(perch.ProgressLines, 0)
	for _, in := range inputs {
		if err := s.stream(ctx, in, outputLocation(j.Output, in), answers, progress); err != nil {
			return err
		}
	}
	return nil
}

// answerFunc answers one input line: its output line, ending in "\n",
// valid until the next call, or an error that fails the job.
type answerFunc func(ctx context.Context, line []byte, tooLong bool) ([]byte, error)

// A chunk is at most chunkLines lines, or the lines that first reach
// chunkBytes: the lines read ahead of the output, which the workers share
// and whose answers are written in the input's order once all are in.
// They bound what a job holds whatever its input's size.
const (
	chunkLines = 256
	chunkBytes = 1 << 20
)

// chunk holds the lines of one chunk and their answers, reused from one
// chunk to the next.
type chunk struct {
	input   []byte // the lines, end to end
	lines   []chunkLine
	answers [][]byte // each worker's answers, end to end
}

type chunkLine struct {
	n          int // the line's number in its object
	start, end int // in input
	tooLong    bool
	worker     int // whose answers hold its answer
	from, to   int // in them
	err        error
}

// answer has every line of c, of the object in, answered by the workers
// answers, each line by the first worker free, and returns the failure of
// the first line, in the input's order, that failed the job.
func (c *chunk) answer(ctx context.Context, in string, answers []answerFunc) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w, answer := range answers[:min(len(answers), len(c.lines))] {
		c.answers[w] = c.answers[w][:0]
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(c.lines) {
					return
				}
				l := &c.lines[i]
				b, err := answer(ctx, c.input[l.start:l.end], l.tooLong)
				if err != nil {
					l.err = err
					continue
				}
				l.worker, l.from = w, len(c.answers[w])
				c.answers[w] = append(c.answers[w], b...)
				l.to = len(c.answers[w])
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, l := range c.lines {
		if l.err != nil {
			return fmt.Errorf("line %d of %s: %w", l.n, in, l.err)
		}
	}
	return nil
}

// inputs lists the job's input objects: the object its input path names,
// or else every object whose location starts with the path, as S3 reads
// a prefix (s3://b/folder also reads s3://b/folder_test/). The .out
// objects under the output path are left out, so that a job run again,
// or one whose output is its input's folder, never reads what a job
// wrote.
func (s *Service) inputs(ctx context.Context, input perch.BatchInput, output perch.BatchOutput) ([]string, error) {
	loc := input.S3DataSource.Path
	if !strings.HasSuffix(loc, "/") {
		if one, err := s.cfg.Objects.List(ctx, loc, false); err == nil && len(one) == 1 {
			return one, nil
		}
	}
	folder := loc[:strings.LastIndex(loc, "/")+1]
	if folder == "s3://" {
		folder = loc + "/" // the bucket alone
	}
	all, err := s.cfg.Objects.List(ctx, folder, true)
	if err != nil {
		return nil, fmt.Errorf("listing the input %s: %w", loc, err)
	}
	out := strings.TrimSuffix(output.S3DataDestination.Path, "/") + "/"
	var inputs []string
	for _, in := range all {
		if strings.HasPrefix(in, loc) && !(strings.HasPrefix(in, out) && strings.HasSuffix(in, ".out")) {
			inputs = append(inputs, in)
		}
	}
	if len(inputs) == 0 {
		return nil, fmt.Errorf("no input: no object at %s, nor any whose key starts with it", loc)
	}
	return inputs, nil
}

// stream answers every line of the object in into the object outLoc,
// which appears whole or not at all, in the input's order, each line by
// one of answers, which answer lines at the same time. Memory stays flat
// whatever the object's size: a chunk of lines is read, answered and
// written at a time, through buffers of bounded size. Lines of blanks are
// skipped.
func (s *Service) stream(ctx context.Context, in, outLoc string, answers []answerFunc, progress *leases.Progress) (err error) {
	r, err := s.cfg.Objects.Open(ctx, in)
	if err != nil {
		return fmt.Errorf("reading the input %s: %w", in, err)
	}
	defer r.Close()
	w, err := s.cfg.Objects.Create(ctx, outLoc)
	if err != nil {
		return fmt.Errorf("writing the output %s: %w", outLoc, err)
	}
	defer func() {
		if err != nil {
			w.Abort()
		}
	}()
	lines := bufio.NewReaderSize(r, 64<<10)
	out := bufio.NewWriterSize(w, 64<<10)
	c := &chunk{answers: make([][]byte, len(answers))}
	for n, eof := 0, false; !eof; {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.input, c.lines = c.input[:0], c.lines[:0]
		for !eof && len(c.lines) < chunkLines && len(c.input) < chunkBytes {
			n++
			line, tooLong, readErr := readLine(lines)
			if readErr != nil && readErr != io.EOF {
				return fmt.Errorf("reading the input %s at line %d: %w", in, n, readErr)
			}
			if len(bytes.TrimSpace(line)) > 0 || tooLong {
				start := len(c.input)
				c.input = append(c.input, line...)
				c.lines = append(c.lines, chunkLine{n: n, start: start, end: len(c.input), tooLong: tooLong})
			}
			eof = readErr == io.EOF
		}
		if err := c.answer(ctx, in, answers); err != nil {
			return err
		}
		for _, l := range c.lines {
			if _, err := out.Write(c.answers[l.worker][l.from:l.to]); err != nil {
				return fmt.Errorf("writing the output %s: %w", outLoc, err)
			}
		}
		progress.Add(int64(len(c.lines)))
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("writing the output %s: %w", outLoc, err)
	}
	if err := w.Commit(); err != nil {
		return fmt.Errorf("writing the output %s: %w", outLoc, err)
	}
	return nil
}

// readLine reads one line without its end, at most MaxLineBytes of it:
// tooLong says the line was longer and is skipped. The slice is valid
// until the next read. io.EOF comes with the last line.
func readLine(r *bufio.Reader) (line []byte, tooLong bool, err error) {
	part, err := r.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return trimEnd(part), false, err
	}
	long := append([]byte(nil), part...)
	for err == bufio.ErrBufferFull {
		part, err = r.ReadSlice('\n')
		switch {
		case tooLong:
		case len(long)+len(part) > MaxLineBytes:
			tooLong, long = true, nil
		default:
			long = append(long, part...)
		}
	}
	return trimEnd(long), tooLong, err
}

func trimEnd(line []byte) []byte {
	return bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
}

// answerer answers the lines of one job.
type answerer struct {
	s       *Service
	job     *perch.BatchInferenceJob
	version *serving.Version
	buf     []byte
}

// inputLine is what a line may ask, as AWS's input formats show it.
type inputLine struct {
	UserID       string            `json:"userId"`
	ItemID       string            `json:"itemId"`
	ItemList     []string          `json:"itemList"`
	FilterValues map[string]string `json:"filterValues"`
}

// answer returns the output line of an input line, ending in "\n": the
// input, then the model's answer, or an error saying why the line has
// none. The error is for failures of the job, not of the line: the store
// failing, or the job interrupted.
func (a *answerer) answer(ctx context.Context, line []byte, tooLong bool) ([]byte, error) {
	b := append(a.buf[:0], `{"input":`...)
	var in inputLine
	var compact bytes.Buffer
	switch {
	case tooLong:
		b = append(b, "null"...)
		return a.failed(b, fmt.Sprintf("The line is longer than %d bytes.", MaxLineBytes)), nil
	case json.Compact(&compact, line) != nil || json.Unmarshal(line, &in) != nil:
		b = appendString(b, string(line))
		return a.failed(b, `The line is not a JSON object of the form {"userId": "...", "itemId": "...", "itemList": [...], "filterValues": {...}}.`), nil
	}
	b = append(b, compact.Bytes()...)
	items, err := a.s.cfg.Runtime.Answer(ctx, a.version, serving.Query{
		UserID: in.UserID, ItemID: in.ItemID, ItemList: in.ItemList, NumResults: a.job.NumResults,
		FilterARN: a.job.FilterARN, FilterValues: in.FilterValues,
	})
	if err != nil {
		var e *perch.Error
		if errors.As(err, &e) && (e.Code == perch.EInvalidInput || e.Code == perch.EResourceNotFound) {
			return a.failed(b, e.Message), nil
		}
		return nil, err
	}
	b = append(b, `,"output":{"recommendedItems":[`...)
	scored := false
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, it.ItemID)
		scored = scored || it.Score != nil
	}
	b = append(b, ']')
	if scored {
		b = append(b, `,"scores":[`...)
		for i, it := range items {
			if i > 0 {
				b = append(b, ',')
			}
			if it.Score == nil {
				b = append(b, '0')
				continue
			}
			b = strconv.AppendFloat(b, *it.Score, 'f', -1, 64)
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	// AWS's user-personalization jobs write "error":null on every line
	// that succeeds; its other recipes' outputs, as observed, have no
	// error member at all.
	if name, recipeType := a.version.Recipe(); recipeType == perch.RecipeUserPersonalization && name != recipe.PopularityCount {
		b = append(b, `,"error":null`...)
	}
	b = append(b, "}\n"...)
	a.buf = b
	return b, nil
}

// failed ends a line whose input b holds with the error message.
func (a *answerer) failed(b []byte, message string) []byte {
	b = append(b, `,"error":`...)
	b = appendString(b, message)
	b = append(b, "}\n"...)
	a.buf = b
	return b
}

// appendString appends s as a JSON string. Bytes that are not UTF-8
// become U+FFFD, as encoding/json writes them.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[r>>4], hex[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}
