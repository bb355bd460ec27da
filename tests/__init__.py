"""The tests, by what they stand on. ``support/`` holds what every kind shares; the root
``conftest`` the session's real servers (redis-server, moto, Azurite, the ARM fake).

``unit/`` is pure; ``integration/``, ``cloud/``, ``stages/``, ``contract/``, ``crash/`` and
``replicas/`` talk to real servers (or wire-level fakes where none exists) on loopback;
``e2e/`` runs the whole bot against the Slack emulator, ``slack_emulator/`` tests that
emulator, ``sandbox_app/`` the sandbox, ``cli/`` the installed ``phoenix`` as a process,
``deploy/`` the image, charts, rules, dashboards, Terraform and the lock."""
