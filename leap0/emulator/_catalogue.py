"""Every operation of the public OpenAPI description: (method, path template, operationId).

Generated from ``tests/emulator/leap0-openapi.yaml`` by
``python -m tests.emulator.test_not_emulated``; do not edit (a test fails when
this file differs from what that writes). Pure data, read by the emulator's
router: each operation here that it does not implement answers 501
(``{"message": "<operationId> is not emulated"}``).
"""

from __future__ import annotations

__all__ = ["OPERATIONS"]

#: The description's paths in its order (each path's methods in a fixed order), the
#: templates exactly as it writes them.
OPERATIONS: tuple[tuple[str, str, str], ...] = (
    ("POST", "/v1/sandbox/", "createSandbox"),
    ("GET", "/v1/sandbox/{sandboxID}/", "getSandbox"),
    ("DELETE", "/v1/sandbox/{sandboxID}/", "deleteSandbox"),
    ("POST", "/v1/sandbox/{sandboxID}/pause", "pauseSandbox"),
    ("POST", "/v1/sandbox/{sandboxID}/stop", "stopSandbox"),
    ("POST", "/v1/sandbox/{sandboxID}/start", "startSandbox"),
    ("POST", "/v1/sandbox/{sandboxID}/mounts", "addSandboxMount"),
    ("DELETE", "/v1/sandbox/{sandboxID}/mounts/{mountID}", "deleteSandboxMount"),
    ("PATCH", "/v1/sandbox/{sandboxID}/mounts/{mountID}", "updateSandboxMount"),
    ("POST", "/v1/sandbox/{sandboxID}/presigned-url", "createPresignedURL"),
    ("DELETE", "/v1/sandbox/{sandboxID}/presigned-url/{id}", "deletePresignedURL"),
    ("GET", "/v1/sandbox/{sandboxID}/system/user-home-dir", "getSandboxUserHomeDir"),
    ("GET", "/v1/sandbox/{sandboxID}/system/workdir", "getSandboxWorkdir"),
    ("POST", "/v1/sandbox/{sandboxID}/snapshot/create", "createSnapshot"),
    ("POST", "/v1/snapshot/restore", "restoreSnapshot"),
    ("DELETE", "/v1/snapshot/{snapshotID}", "deleteSnapshot"),
    ("GET", "/v1/sandboxes", "listSandboxes"),
    ("GET", "/v1/snapshots", "listSnapshots"),
    ("POST", "/v1/template", "uploadTemplate"),
    ("DELETE", "/v1/template/{templateID}", "deleteTemplate"),
    ("PATCH", "/v1/template/{templateID}", "renameTemplate"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/ls", "filesystemLS"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/stat", "filesystemStat"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/mkdir", "filesystemMkdir"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/write-file", "filesystemWriteFile"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/write-files", "filesystemWriteFiles"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/read-file", "filesystemReadFile"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/read-files", "filesystemReadFiles"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/delete", "filesystemDelete"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/set-permissions", "filesystemSetPermissions"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/glob", "filesystemGlob"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/grep", "filesystemGrep"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/edit-file", "filesystemEditFile"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/edit-files", "filesystemEditFiles"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/move", "filesystemMove"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/copy", "filesystemCopy"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/exists", "filesystemExists"),
    ("POST", "/v1/sandbox/{sandboxID}/filesystem/tree", "filesystemTree"),
    ("POST", "/v1/sandbox/{sandboxID}/git/clone", "gitClone"),
    ("POST", "/v1/sandbox/{sandboxID}/git/status", "gitStatus"),
    ("POST", "/v1/sandbox/{sandboxID}/git/branches", "gitBranches"),
    ("POST", "/v1/sandbox/{sandboxID}/git/diff-unstaged", "gitDiffUnstaged"),
    ("POST", "/v1/sandbox/{sandboxID}/git/diff-staged", "gitDiffStaged"),
    ("POST", "/v1/sandbox/{sandboxID}/git/diff", "gitDiff"),
    ("POST", "/v1/sandbox/{sandboxID}/git/reset", "gitReset"),
    ("POST", "/v1/sandbox/{sandboxID}/git/log", "gitLog"),
    ("POST", "/v1/sandbox/{sandboxID}/git/show", "gitShow"),
    ("POST", "/v1/sandbox/{sandboxID}/git/create-branch", "gitCreateBranch"),
    ("POST", "/v1/sandbox/{sandboxID}/git/checkout-branch", "gitCheckoutBranch"),
    ("POST", "/v1/sandbox/{sandboxID}/git/delete-branch", "gitDeleteBranch"),
    ("POST", "/v1/sandbox/{sandboxID}/git/add", "gitAdd"),
    ("POST", "/v1/sandbox/{sandboxID}/git/commit", "gitCommit"),
    ("POST", "/v1/sandbox/{sandboxID}/git/push", "gitPush"),
    ("POST", "/v1/sandbox/{sandboxID}/git/pull", "gitPull"),
    ("POST", "/v1/sandbox/{sandboxID}/process/execute", "processExecute"),
    ("GET", "/v1/sandbox/{sandboxID}/pty", "listPtySessions"),
    ("POST", "/v1/sandbox/{sandboxID}/pty", "createPtySession"),
    ("GET", "/v1/sandbox/{sandboxID}/pty/{sessionID}", "getPtySession"),
    ("DELETE", "/v1/sandbox/{sandboxID}/pty/{sessionID}", "deletePtySession"),
    ("GET", "/v1/sandbox/{sandboxID}/pty/{sessionID}/connect", "connectPtySession"),
    ("POST", "/v1/sandbox/{sandboxID}/pty/{sessionID}/resize", "resizePtySession"),
    ("POST", "/v1/sandbox/{sandboxID}/lsp/start", "lspStart"),
    ("POST", "/v1/sandbox/{sandboxID}/lsp/stop", "lspStop"),
    ("POST", "/v1/sandbox/{sandboxID}/lsp/completions", "lspCompletions"),
    ("POST", "/v1/sandbox/{sandboxID}/lsp/document-symbols", "lspDocumentSymbols"),
    ("POST", "/v1/sandbox/{sandboxID}/lsp/did-open", "lspDidOpen"),
    ("POST", "/v1/sandbox/{sandboxID}/lsp/did-close", "lspDidClose"),
    ("POST", "/v1/sandbox/{sandboxID}/ssh/access", "createSshAccess"),
    ("DELETE", "/v1/sandbox/{sandboxID}/ssh/{sshID}", "deleteSshAccess"),
    ("POST", "/v1/sandbox/{sandboxID}/ssh/{sshID}/validate", "validateSshAccess"),
    ("POST", "/v1/sandbox/{sandboxID}/ssh/{sshID}/regen", "regenSshAccess"),
)
