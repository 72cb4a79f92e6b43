from pynenc_tests.integration.app_id_isolation.all_tests import *
