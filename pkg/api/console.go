package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/slipway-dev/slipway/web"
)

// consoleCSP allows only the console's own origin: no CDN, no inline script, no external
// fonts. Style attributes React sets through the CSSOM are not inline styles to CSP.
const consoleCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// registerWeb adds what the browser needs beside the route table: ETags on API reads (so
// the console's polling costs a 304) and the console itself on every path no route takes.
func registerWeb(e *echo.Echo) {
	files, built := web.Console()
	c := newConsole(files, built, web.Placeholder())
	e.Use(etag(), c.fallback)
}

// fallback serves the console where the router found nothing (echo's 404), so the route
// table keeps all its answers, 405s included, and API paths keep their problem+json 404.
func (c *console) fallback(next echo.HandlerFunc) echo.HandlerFunc {
	return func(ctx echo.Context) error {
		err := next(ctx)
		var he *echo.HTTPError
		if err == nil || !errors.As(err, &he) || he.Code != http.StatusNotFound || ctx.Response().Committed {
			return err
		}
		return c.serve(ctx)
	}
}

// console serves the single-page app from an embedded file system.
type console struct {
	files fs.FS
	// index is index.html (or the placeholder), served for every client-side route.
	index     []byte
	indexETag string
	etags     map[string]string
}

func newConsole(files fs.FS, built bool, placeholder []byte) *console {
	c := &console{index: placeholder, etags: map[string]string{}}
	if built {
		if b, err := fs.ReadFile(files, "index.html"); err == nil {
			c.files, c.index = files, b
		}
	}
	if c.files != nil {
		// The files never change at run time: their ETags are computed once.
		_ = fs.WalkDir(c.files, ".", func(name string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if b, err := fs.ReadFile(c.files, name); err == nil {
					c.etags[name] = contentETag(b)
				}
			}
			return nil
		})
	}
	c.indexETag = contentETag(c.index)
	return c
}

func contentETag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// reservedPath reports paths that belong to the API and never fall back to the console.
func reservedPath(p string) bool {
	for _, prefix := range []string{"/api/", "/hooks/"} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	switch p {
	case "/api", "/hooks", "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}

func (c *console) serve(ctx echo.Context) error {
	req := ctx.Request()
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		return echo.ErrNotFound
	}
	p := path.Clean("/" + req.URL.Path)
	if reservedPath(p) {
		return echo.ErrNotFound
	}
	h := ctx.Response().Header()
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")

	name := strings.TrimPrefix(p, "/")
	if name != "" && name != "index.html" && c.files != nil {
		if b, err := fs.ReadFile(c.files, name); err == nil {
			if strings.HasPrefix(name, "assets/") {
				// Vite names them by content hash.
				h.Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				h.Set("Cache-Control", "no-cache")
			}
			return c.send(ctx, name, b)
		}
		if strings.HasPrefix(name, "assets/") {
			// A missing hashed file is an old or mistyped reference: HTML would be
			// parsed as script or style, so it is a plain 404.
			return echo.ErrNotFound
		}
	}
	// Client-side routes get the app, which routes itself; it must always be revalidated so
	// a new build's asset names are picked up at once.
	h.Set("Cache-Control", "no-cache")
	h.Set(echo.HeaderContentType, "text/html; charset=utf-8")
	h.Set("ETag", c.indexETag)
	http.ServeContent(ctx.Response(), req, "index.html", time.Time{}, bytes.NewReader(c.index))
	return nil
}

func (c *console) send(ctx echo.Context, name string, b []byte) error {
	h := ctx.Response().Header()
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		h.Set(echo.HeaderContentType, t)
	}
	if tag, ok := c.etags[name]; ok {
		h.Set("ETag", tag)
	}
	http.ServeContent(ctx.Response(), ctx.Request(), name, time.Time{}, bytes.NewReader(b))
	return nil
}
