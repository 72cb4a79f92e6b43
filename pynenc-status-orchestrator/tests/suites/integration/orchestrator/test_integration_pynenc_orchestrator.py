from pynenc_tests.integration.orchestrator.all_tests import *
