package awsapi

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"strings"
)

// decodeContent undoes the request's Content-Encoding on the body as
// read. The decompressed body is bounded by MaxBodyBytes like the raw one,
// so a small gzip bomb fails like an oversized body instead of growing
// memory.
func decodeContent(r *http.Request, raw []byte) ([]byte, *apiError) {
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return raw, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, &apiError{status: http.StatusBadRequest, code: eSerialization,
				message: "The body is not gzip data although Content-Encoding is " + enc + ": " + err.Error()}
		}
		body, err := io.ReadAll(&boundedReader{r: zr, left: MaxBodyBytes})
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, tooLarge()
			}
			return nil, &apiError{status: http.StatusBadRequest, code: eSerialization,
				message: "The body is not valid gzip data: " + err.Error()}
		}
		return body, nil
	default:
		return nil, &apiError{status: http.StatusUnsupportedMediaType, code: eSerialization,
			message: "Content-Encoding " + enc + " is not supported; send the body as is or gzip-encoded"}
	}
}

// boundedReader fails with *http.MaxBytesError once more than left bytes
// have been read, as http.MaxBytesReader does for the raw body.
type boundedReader struct {
	r    io.Reader
	left int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, &http.MaxBytesError{Limit: MaxBodyBytes}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, &http.MaxBytesError{Limit: MaxBodyBytes}
	}
	return n, err
}
