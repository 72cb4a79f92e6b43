# pynenc 0.4.0's integration/orchestrator/all_tests.py leaves this module out (and does not list it
# as ignored either); plugin repos import it on its own, as pynenc-mongo does.
from pynenc_tests.integration.orchestrator.test_atomic_service_claim_concurrency import *
