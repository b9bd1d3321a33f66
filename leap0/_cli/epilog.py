"""The top-level help's epilog: where the settings come from, examples, exit statuses.

The exit statuses are defined in ``context.py`` (when each is used: ``entry.py``);
this is how ``leap0 --help`` tells them.
"""

from __future__ import annotations

from .._constants import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL, LOG_ENV, SSH_API_ENV
from .spec import DEFAULT_PROFILE, PROFILE_ENV

__all__ = ["EPILOG"]

EPILOG = f"""\
configuration:
  The API key is taken from --api-key, else ${API_KEY_ENV} (prefer the
  variable: command-line arguments are visible to other users of the machine),
  else the profile file, where 'leap0 auth login' stores it.
  The API's URL is --base-url, else ${BASE_URL_ENV}, else the profile's, else
  {DEFAULT_BASE_URL}.
  The service's SSH routes are --ssh-api, else ${SSH_API_ENV}, else the
  profile's, else auto: 'auto' (find out which the service serves), 'single'
  (one SSH credential per sandbox) or 'per-credential' (several, so ssh regen
  and ssh delete need --access-id).
  The profile file is $XDG_CONFIG_HOME/leap0/config.json (~/.config/leap0/
  without XDG_CONFIG_HOME), mode 0600; the profile is --profile, else
  ${PROFILE_ENV}, else {DEFAULT_PROFILE}. The environment and flags win over the
  file; the SDK does not read the file (only this command does).
  --debug, or {LOG_ENV}=debug, shows the SDK's log of each request on stderr.

examples:
  leap0 sandbox create --vcpu 2 --memory 2048 --env DEBUG=1 --wait
  leap0 sandbox list --state running --format id | xargs -r leap0 sandbox delete --
  leap0 sandbox stop sbx-123          # later: leap0 sandbox start sbx-123
  leap0 --json sandbox get sbx-123
  leap0 ssh create sbx-123            # prints the password once
  leap0 ssh connect sbx-123           # interactive shell through OpenSSH
  leap0 ssh connect sbx-123 -- uname -a  # the credential is revoked afterwards
  leap0 ssh cp report.txt sbx-123:    # scp, the same way
  leap0 ssh validate sbx-123 --access-id ssh-abc --password-stdin < password.txt
  leap0 auth login                    # store an API key (leap0 auth status)
  leap0 ssh delete sbx-123 --access-id ssh-abc   # that credential, on any SSH routes
  eval "$(leap0 completion bash)"     # completion (also zsh, fish)
  leap0 emulator                      # a local Leap0 service for development

  Commands that take ids take them after '--' too, so that an id read from a
  pipe is never an option: 'xargs -r leap0 sandbox delete --' above, and
  'leap0 ssh connect [OPTIONS] -- ID [-- COMMAND ...]'.

exit status:
  0 success, 1 the service answered with an error or could not be reached
  (also: ssh validate of a pair that is not valid, auth status without a key),
  2 bad usage or setup (configuration, a missing program), 130 interrupted;
  ssh connect and ssh cp exit with ssh's or scp's status, but 1 when the
  sandbox is not running or the credential they issued could not be revoked
  (the error gives the command that revokes it).
"""
