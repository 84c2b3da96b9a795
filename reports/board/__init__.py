"""The program board: one PI's cards by team and iteration, with dependency strings.

``model`` builds it (plain dataclasses), ``render`` writes its JSON object and the HTML page
rendered from that same object.
"""

from reports.board.cards import LEVELS
from reports.board.model import BoardReport, board_report
from reports.board.render import FORMATS, board_dict, render_board

__all__ = ["FORMATS", "LEVELS", "BoardReport", "board_dict", "board_report", "render_board"]
