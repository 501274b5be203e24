package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/qualitywatch/qualitywatch/classifier"
)

// maxLine is the longest JSON line classify --jsonl accepts.
const maxLine = 16 << 20

// lineReader reads lines of at most maxLine bytes; a longer line is skipped
// and reported, not fatal.
type lineReader struct {
	r   *bufio.Reader
	buf []byte
	n   int // number of the last line read, from 1
}

// next returns the next line without its line break, whether it was too
// long, and io.EOF after the last one. The line is valid until next call.
func (lr *lineReader) next() ([]byte, bool, error) {
	lr.buf = lr.buf[:0]
	tooLong := false
	for {
		chunk, err := lr.r.ReadSlice('\n')
		if !tooLong {
			if len(lr.buf)+len(chunk) > maxLine+1 {
				tooLong = true
				lr.buf = lr.buf[:0]
			} else {
				lr.buf = append(lr.buf, chunk...)
			}
		}
		switch {
		case err == nil:
			lr.n++
			return bytes.TrimRight(lr.buf, "\r\n"), tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && (len(lr.buf) > 0 || tooLong):
			lr.n++
			return bytes.TrimRight(lr.buf, "\r\n"), tooLong, nil
		default:
			return nil, false, err
		}
	}
}

// jsonlJob is one line on its way through the workers; out receives its
// output line.
type jsonlJob struct {
	n       int
	line    []byte
	tooLong bool
	out     chan jsonlResult
}

type jsonlResult struct {
	b  []byte
	ok bool
}

func (j *jsonlJob) run(c *classifier.Classifier) jsonlResult {
	if j.tooLong {
		b := fmt.Appendf(nil, `{"id":null,"line":%d,"error":"line longer than %d MiB"}`+"\n", j.n, maxLine>>20)
		return jsonlResult{b, false}
	}
	b, ok := classifyLine(c, j.n, j.line)
	return jsonlResult{b, ok}
}

// classifyJSONL streams JSON lines from r to w through workers goroutines,
// keeping the input order. At most a few lines per worker are in flight.
func classifyJSONL(ctx context.Context, c *classifier.Classifier, r io.Reader, w io.Writer, workers int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lr := &lineReader{r: bufio.NewReaderSize(r, 1<<20)}
	bw := bufio.NewWriterSize(w, 1<<16)
	jobs := make(chan *jsonlJob, 4*workers)
	order := make(chan *jsonlJob, 16*workers)
	var readErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(order)
		defer close(jobs)
		for {
			line, tooLong, err := lr.next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					readErr = fmt.Errorf("read line %d: %w", lr.n+1, err)
				}
				return
			}
			if !tooLong && len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			j := &jsonlJob{n: lr.n, line: bytes.Clone(line), tooLong: tooLong, out: make(chan jsonlResult, 1)}
			for _, ch := range []chan *jsonlJob{order, jobs} {
				select {
				case ch <- j:
				case <-ctx.Done():
					return
				}
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j.out <- j.run(c)
			}
		})
	}
	bad, firstBad := 0, 0
	var writeErr error
	for j := range order {
		res := <-j.out
		if !res.ok {
			bad++
			if firstBad == 0 {
				firstBad = j.n
			}
		}
		if writeErr == nil {
			_, writeErr = bw.Write(res.b)
			// Nothing more is ready: let the reader downstream see what is
			// done (a trickle of lines is answered line by line, a flood in
			// 64 KiB blocks).
			if writeErr == nil && len(order) == 0 {
				writeErr = bw.Flush()
			}
			if writeErr != nil {
				cancel()
			}
		}
	}
	wg.Wait()
	if writeErr == nil {
		writeErr = bw.Flush()
	}
	switch {
	case writeErr != nil:
		return fmt.Errorf("write: %w", writeErr)
	case readErr != nil:
		return readErr
	case ctx.Err() != nil:
		return ctx.Err()
	case bad > 0:
		return fmt.Errorf("%w: %d line(s) could not be classified, the first is line %d", errBadLines, bad, firstBad)
	}
	return nil
}
