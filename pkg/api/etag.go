package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// etag gives successful API reads a strong ETag computed from the body and answers a
// matching If-None-Match with 304 Not Modified and no body, so clients that poll (the
// console does, every few seconds) transfer nothing while nothing changed. The handler still
// runs — authorization included — on every request; only the transfer is saved.
//
// Only GET and HEAD under /api/ are touched. A response that streams (text/event-stream, or
// a handler that flushes) passes through unbuffered.
func etag() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if (req.Method != http.MethodGet && req.Method != http.MethodHead) || !strings.HasPrefix(req.URL.Path, "/api/") {
				return next(c)
			}
			res := c.Response()
			orig := res.Writer
			bw := &etagWriter{ResponseWriter: orig}
			res.Writer = bw
			err := next(c)
			res.Writer = orig
			if bw.passthrough {
				return err
			}
			if err != nil {
				// The error handler renders it on the real writer; anything the handler wrote
				// before failing goes first.
				bw.release()
				return err
			}
			if !bw.wroteHeader {
				return nil // nothing written: the handler left the response empty and uncommitted
			}
			h := orig.Header()
			if bw.status != http.StatusOK {
				bw.release()
				return nil
			}
			// A handler may set the tag itself: the version a later If-Match names.
			tag := h.Get("ETag")
			if tag == "" {
				sum := sha256.Sum256(bw.buf.Bytes())
				tag = `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
				h.Set("ETag", tag)
			}
			h.Add("Vary", "Authorization")
			if h.Get("Cache-Control") == "" {
				// Stored only by the caller's browser, and revalidated every time.
				h.Set("Cache-Control", "private, no-cache")
			}
			// no-store: the handler's tag is a version its body outlives (next fire times,
			// live states), so a match says nothing about the body.
			if etagMatches(req.Header.Get("If-None-Match"), tag) && !strings.Contains(h.Get("Cache-Control"), "no-store") {
				for _, k := range []string{"Content-Type", "Content-Length", "Content-Encoding"} {
					h.Del(k)
				}
				res.Status = http.StatusNotModified
				orig.WriteHeader(http.StatusNotModified)
				return nil
			}
			bw.release()
			return nil
		}
	}
}

// etagMatches implements If-None-Match's weak comparison (RFC 9110 13.1.2).
func etagMatches(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == tag {
			return true
		}
	}
	return false
}

// etagWriter holds the status and body until the handler is done.
type etagWriter struct {
	http.ResponseWriter
	buf         bytes.Buffer
	status      int
	wroteHeader bool
	// passthrough is set once the response streams; from then on writes go straight out.
	passthrough bool
}

func (w *etagWriter) WriteHeader(code int) {
	if w.wroteHeader || w.passthrough {
		return
	}
	w.status, w.wroteHeader = code, true
	if strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream") {
		w.startPassthrough()
	}
}

func (w *etagWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if w.passthrough {
		return w.ResponseWriter.Write(b)
	}
	return w.buf.Write(b)
}

// Flush means the handler streams: what was held goes out and the rest is not buffered.
func (w *etagWriter) Flush() {
	if !w.passthrough {
		if !w.wroteHeader {
			w.WriteHeader(http.StatusOK)
		}
		w.startPassthrough()
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *etagWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *etagWriter) startPassthrough() {
	if w.passthrough {
		return
	}
	w.release()
	w.passthrough = true
}

// release sends the held status and body as they are.
func (w *etagWriter) release() {
	if w.passthrough {
		return
	}
	if w.wroteHeader {
		w.ResponseWriter.WriteHeader(w.status)
	}
	if w.buf.Len() > 0 {
		_, _ = w.ResponseWriter.Write(w.buf.Bytes())
		w.buf.Reset()
	}
	w.passthrough = true
}
