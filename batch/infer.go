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
	"unicode/utf8"

	"github.com/perchdev/perch"
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

// infer runs the job arn: every input object, line after line, into its
// output object. The error is the job's failure reason; a line that
// cannot be answered is answered with an error instead, and the job goes
// on.
func (s *Service) infer(ctx context.Context, arn string) error {
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
	a := answerer{s: s, job: j, version: v}
	for _, in := range inputs {
		if err := s.stream(ctx, in, outputLocation(j.Output, in), a.answer); err != nil {
			return err
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
// which appears whole or not at all, each line as answer says: its
// output line, ending in "\n", valid until the next call, or an error
// that fails the job. Memory stays flat whatever the object's size: one
// line is read, answered and written at a time, through buffers of fixed
// size. Lines of blanks are skipped.
func (s *Service) stream(ctx context.Context, in, outLoc string, answer func(ctx context.Context, line []byte, tooLong bool) ([]byte, error)) (err error) {
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
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, tooLong, readErr := readLine(lines)
		if readErr != nil && readErr != io.EOF {
			return fmt.Errorf("reading the input %s at line %d: %w", in, n, readErr)
		}
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			b, err := answer(ctx, line, tooLong)
			if err != nil {
				return fmt.Errorf("line %d of %s: %w", n, in, err)
			}
			if _, err := out.Write(b); err != nil {
				return fmt.Errorf("writing the output %s: %w", outLoc, err)
			}
		}
		if readErr == io.EOF {
			break
		}
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
