from servicevm_mgmt.bootstrap import DEFINITION
from shared.runtime import serve

serve(DEFINITION)
