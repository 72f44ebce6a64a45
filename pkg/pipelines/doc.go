// Package pipelines builds and deploys apps through Argo Workflows, without Argo's server:
// the standard WorkflowTemplate every project namespace gets (clone → rootless build and
// push → deploy through platform-api with the built digest), the run Workflow of an app
// (the standard steps plus the project's own stages and approval gates), checked with
// Argo's own validator, the run view read back from a Workflow's status, and the parsing
// and verification of Git push hooks. Everything here is pure; pkg/apps writes the objects.
//
// A run is a Workflow in the project's build namespace ({project}-build, names.BuildNamespace:
// rootless BuildKit needs more than the restricted Pod Security profile its apps' namespaces
// hold), labelled with project, app and env, running as the build namespace's
// slipway-pipeline ServiceAccount. That account's only Kubernetes writes are Argo's
// executor's (ExecutorRole); in each environment namespace with a pipeline it is bound to
// DeployerClusterRole (DeployerBinding), which platform-api checks when the deploy step calls
// POST …/deployments with pipelineRun set. platform-api then admits only that run's app and
// environment, reads the commit from the run's own clone step, never from the request, and
// records both on the revision.
package pipelines
