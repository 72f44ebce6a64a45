// Package identity answers "who is calling" and "may they", with Kubernetes
// itself: bearer tokens are checked with a TokenReview (ServiceAccount tokens,
// the cluster's OIDC or static tokens — whatever the apiserver accepts), and
// every action with a SubjectAccessReview against the project's namespace.
// Both answers are cached briefly (auth.cacheTTL), keyed by a hash of the
// token or by the whole question; concurrent requests asking the same
// question share one review, and answers in steady use are refreshed in the
// background before they expire, so a burst of requests costs one review and
// a hot identity never waits for one (reviews.go).
//
// Writes go out as the platform, after the check, not impersonating the
// caller: Slipway's record (history annotations, ClusterDomainClaims,
// VirtualServices, RoleBindings for members) lives in objects users are not
// granted, and one identity on the apiserver side keeps server-side apply's
// field ownership stable. The check uses the same verbs and resources a
// kubectl user would need for the same change, so RBAC stays the one source
// of truth, and the ClusterRoles here (Roles) grant exactly those.
package identity
