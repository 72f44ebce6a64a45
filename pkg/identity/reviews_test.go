package identity

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"
	testingclock "k8s.io/utils/clock/testing"
)

// apiserver is a fake apiserver's review answers: goodToken is alice until
// revoked, alice may do anything until revoked. Reviews are counted, can be
// held until released, and can fail.
type apiserver struct {
	tokenReviews, accessReviews atomic.Int32
	revoked                     atomic.Bool
	fail                        atomic.Pointer[error]

	mu   sync.Mutex
	gate chan struct{}
}

// hold makes reviews from now on wait until release is called.
func (s *apiserver) hold() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.gate = ch
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.gate = nil
		s.mu.Unlock()
		close(ch)
	}
}

func (s *apiserver) wait() {
	s.mu.Lock()
	ch := s.gate
	s.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

func (s *apiserver) failure() error {
	if p := s.fail.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *apiserver) client() *fake.Clientset {
	c := fake.NewClientset()
	c.PrependReactor("create", "tokenreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		s.tokenReviews.Add(1)
		s.wait()
		if err := s.failure(); err != nil {
			return true, nil, err
		}
		tr := a.(k8stesting.CreateAction).GetObject().(*authnv1.TokenReview)
		if tr.Spec.Token == goodToken && !s.revoked.Load() {
			tr.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Username: "alice", Groups: []string{"team-a"}}}
		}
		return true, tr, nil
	})
	c.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		s.accessReviews.Add(1)
		s.wait()
		if err := s.failure(); err != nil {
			return true, nil, err
		}
		sar := a.(k8stesting.CreateAction).GetObject().(*authzv1.SubjectAccessReview)
		sar.Status.Allowed = sar.Spec.User == "alice" && !s.revoked.Load()
		return true, sar, nil
	})
	return c
}

// eventually waits for cond; the deadline only keeps a broken test from
// hanging, nothing is asserted about how long it took.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

var alice = User{Name: "alice", Groups: []string{"team-a"}}

func TestConcurrentTokenReviewsShared(t *testing.T) {
	var s apiserver
	a := NewTokenAuthenticator(s.client(), time.Minute)
	release := s.hold()
	const n = 50
	errs := make(chan error, n)
	for range n {
		go func() {
			u, err := a.AuthenticateToken(context.Background(), goodToken)
			if err == nil && u.Name != "alice" {
				err = errors.New("authenticated as " + u.Name)
			}
			errs <- err
		}()
	}
	eventually(t, "every caller waits for the review", func() bool { return a.reviews.waiting.Load() == n })
	release()
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := s.tokenReviews.Load(); got != 1 {
		t.Errorf("%d TokenReviews for %d concurrent requests with one token, want 1", got, n)
	}
}

func TestConcurrentAccessReviewsShared(t *testing.T) {
	var s apiserver
	z := NewSARAuthorizer(s.client(), time.Minute)
	release := s.hold()
	const n = 50
	errs := make(chan error, n)
	for range n {
		go func() {
			ok, err := z.Allowed(context.Background(), alice, ReadApps, "shop-prod")
			if err == nil && !ok {
				err = errors.New("refused")
			}
			errs <- err
		}()
	}
	eventually(t, "every caller waits for the review", func() bool { return z.reviews.waiting.Load() == n })
	release()
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := s.accessReviews.Load(); got != 1 {
		t.Errorf("%d SubjectAccessReviews for %d concurrent identical questions, want 1", got, n)
	}
	// Another question is another review.
	if ok, err := z.Allowed(context.Background(), alice, ReadApps, "bank-prod"); err != nil || !ok {
		t.Fatalf("Allowed = %v, %v", ok, err)
	}
	if got := s.accessReviews.Load(); got != 2 {
		t.Errorf("%d reviews for 2 questions, want 2", got)
	}
}

// The shared review runs on a real REST client here, so a review tied to the
// first caller's context would really be cancelled with it (the fake
// clientset ignores contexts).
func TestCancelledCallerDoesNotFailOthers(t *testing.T) {
	var reviews atomic.Int32
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/apis/authentication.k8s.io/v1/tokenreviews" {
			http.NotFound(w, r)
			return
		}
		reviews.Add(1)
		var tr authnv1.TokenReview
		if err := json.NewDecoder(r.Body).Decode(&tr); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		tr.APIVersion, tr.Kind = "authentication.k8s.io/v1", "TokenReview"
		if tr.Spec.Token == goodToken {
			tr.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{Username: "alice"}}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&tr)
	}))
	defer srv.Close()
	client, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL, ContentConfig: rest.ContentConfig{
		ContentType: "application/json", AcceptContentTypes: "application/json",
	}})
	if err != nil {
		t.Fatal(err)
	}
	a := NewTokenAuthenticator(client, time.Minute)

	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := a.AuthenticateToken(first, goodToken)
		firstErr <- err
	}()
	select {
	case <-arrived: // the first caller's review is at the apiserver
	case err := <-firstErr:
		t.Fatalf("the first caller's review did not reach the apiserver: %v", err)
	}

	const others = 5
	errs := make(chan error, others)
	for range others {
		go func() {
			u, err := a.AuthenticateToken(context.Background(), goodToken)
			if err == nil && u.Name != "alice" {
				err = errors.New("authenticated as " + u.Name)
			}
			errs <- err
		}()
	}
	eventually(t, "every caller waits for the review", func() bool { return a.reviews.waiting.Load() == others+1 })
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller got %v, want context.Canceled", err)
	}
	close(release)
	for range others {
		if err := <-errs; err != nil {
			t.Errorf("a caller failed with the first one's cancellation: %v", err)
		}
	}
	if got := reviews.Load(); got != 1 {
		t.Errorf("%d TokenReviews, want 1", got)
	}
}

func TestReviewErrorsSharedNotCached(t *testing.T) {
	var s apiserver
	down := errors.New("etcd is down")
	s.fail.Store(&down)
	z := NewSARAuthorizer(s.client(), time.Minute)
	release := s.hold()
	const n = 10
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := z.Allowed(context.Background(), alice, ReadApps, "shop-prod")
			errs <- err
		}()
	}
	eventually(t, "every caller waits for the review", func() bool { return z.reviews.waiting.Load() == n })
	release()
	for range n {
		if err := <-errs; !errors.Is(err, down) {
			t.Errorf("Allowed error = %v, want the apiserver's", err)
		}
	}
	if got := s.accessReviews.Load(); got != 1 {
		t.Errorf("%d reviews, want 1", got)
	}
	s.fail.Store(nil)
	if ok, err := z.Allowed(context.Background(), alice, ReadApps, "shop-prod"); err != nil || !ok {
		t.Fatalf("after recovery Allowed = %v, %v; the error must not be cached", ok, err)
	}
	if got := s.accessReviews.Load(); got != 2 {
		t.Errorf("%d reviews, want 2", got)
	}
}

// fakeClock puts r on a fake clock (cache included).
func fakeClock[V any](r *reviews[V]) *testingclock.FakeClock {
	c := testingclock.NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	r.now = c.Now
	return c
}

func TestRefreshAhead(t *testing.T) {
	const ttl = 10 * time.Second
	var s apiserver
	a := NewTokenAuthenticator(s.client(), ttl)
	clock := fakeClock(a.reviews)
	start := clock.Now()
	authenticate := func() {
		t.Helper()
		if u, err := a.AuthenticateToken(context.Background(), goodToken); err != nil || u.Name != "alice" {
			t.Fatalf("AuthenticateToken = %+v, %v", u, err)
		}
	}

	authenticate()
	clock.Step(ttl/2 - time.Second)
	authenticate()
	if got := s.tokenReviews.Load(); got != 1 {
		t.Fatalf("%d TokenReviews before half the answer's life, want 1", got)
	}

	// Past half its life: the next use starts one refresh and is answered
	// from the cache while the refresh is held at the apiserver.
	release := s.hold()
	refreshed := ttl/2 + time.Second
	clock.Step(refreshed - (ttl/2 - time.Second))
	for range 5 {
		authenticate()
	}
	eventually(t, "a background TokenReview", func() bool { return s.tokenReviews.Load() == 2 })
	for range 5 {
		authenticate()
	}
	release()
	want := start.Add(refreshed + ttl)
	eventually(t, "the refreshed answer stored", func() bool {
		v, ok := a.reviews.cache.Get(tokenKey(goodToken))
		return ok && v.(*cached[tokenResult]).expires.Equal(want)
	})

	// When the first answer expires the refreshed one serves (before its
	// own half-life): no miss, no review.
	clock.Step(ttl - refreshed)
	authenticate()
	if got := s.tokenReviews.Load(); got != 2 {
		t.Errorf("%d TokenReviews, want 2 (one refresh, one review per answer)", got)
	}
	if got := a.reviews.waiting.Load(); got != 0 {
		t.Errorf("%d callers waiting", got)
	}
}

// A failed refresh is not retried on every use (an apiserver in trouble gets
// one review per answer); the answer serves until it expires, then the next
// use reviews in the foreground and sees the error.
func TestFailedRefreshNotRetried(t *testing.T) {
	const ttl = 10 * time.Second
	var s apiserver
	a := NewTokenAuthenticator(s.client(), ttl)
	clock := fakeClock(a.reviews)
	authenticate := func() {
		t.Helper()
		if u, err := a.AuthenticateToken(context.Background(), goodToken); err != nil || u.Name != "alice" {
			t.Fatalf("AuthenticateToken = %+v, %v", u, err)
		}
	}
	authenticate()
	down := errors.New("etcd is down")
	s.fail.Store(&down)
	clock.Step(ttl / 2)
	authenticate()
	eventually(t, "the refresh failed", func() bool { return s.tokenReviews.Load() == 2 })
	// settle waits until no review of the token is under way: a probe
	// flight runs only then.
	settle := func() {
		t.Helper()
		probe := errors.New("probe")
		eventually(t, "the token's flight ended", func() bool {
			res := <-a.reviews.flights.DoChan(tokenKey(goodToken), func() (any, error) { return nil, probe })
			return errors.Is(res.Err, probe)
		})
	}
	settle()
	for range ttl/2/time.Second - 1 {
		clock.Step(time.Second)
		authenticate()
		settle()
	}
	if got := s.tokenReviews.Load(); got != 2 {
		t.Errorf("%d TokenReviews, want 2 (the failed refresh is not retried)", got)
	}
	clock.Step(time.Second)
	if _, err := a.AuthenticateToken(context.Background(), goodToken); !errors.Is(err, down) {
		t.Errorf("after expiry AuthenticateToken error = %v, want the apiserver's", err)
	}
}

func TestRejectedTokensNotRefreshed(t *testing.T) {
	const ttl = 10 * time.Second
	var s apiserver
	a := NewTokenAuthenticator(s.client(), ttl)
	clock := fakeClock(a.reviews)
	reject := func() {
		t.Helper()
		if _, err := a.AuthenticateToken(context.Background(), "wrong"); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("AuthenticateToken error = %v, want ErrUnauthenticated", err)
		}
	}
	reject()
	clock.Step(ttl/10 - time.Millisecond)
	reject()
	if got := s.tokenReviews.Load(); got != 1 {
		t.Errorf("%d TokenReviews within the rejection's life, want 1 (no refresh)", got)
	}
	clock.Step(time.Millisecond)
	reject()
	if got := s.tokenReviews.Load(); got != 2 {
		t.Errorf("%d TokenReviews after the rejection's life, want 2", got)
	}
}

// A revoked token or role, used steadily (refresh ahead running), is refused
// at the latest ttl after the apiserver stops accepting it, and accepted
// without a miss or a failure before.
func TestRevocationWithinTTL(t *testing.T) {
	const (
		ttl      = 10 * time.Second
		step     = time.Second
		revokeAt = 7 // steps: after the first refresh (at 5) and before the first answer expires (10)
	)
	check := func(t *testing.T, clock *testingclock.FakeClock, s *apiserver, ask func() (bool, error)) {
		for i := 0; i <= revokeAt+int(ttl/step); i++ {
			if i == revokeAt {
				s.revoked.Store(true)
			}
			ok, err := ask()
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			switch {
			case i < revokeAt && !ok:
				t.Fatalf("step %d: refused before revocation", i)
			case i == revokeAt+int(ttl/step) && ok:
				t.Fatalf("step %d: still accepted %s after revocation", i, ttl)
			}
			clock.Step(step)
		}
	}
	t.Run("token", func(t *testing.T) {
		var s apiserver
		a := NewTokenAuthenticator(s.client(), ttl)
		clock := fakeClock(a.reviews)
		check(t, clock, &s, func() (bool, error) {
			u, err := a.AuthenticateToken(context.Background(), goodToken)
			if errors.Is(err, ErrUnauthenticated) {
				return false, nil
			}
			return u.Name == "alice", err
		})
	})
	t.Run("role", func(t *testing.T) {
		var s apiserver
		z := NewSARAuthorizer(s.client(), ttl)
		clock := fakeClock(z.reviews)
		check(t, clock, &s, func() (bool, error) {
			return z.Allowed(context.Background(), alice, Deploy, "shop-prod")
		})
	})
}
