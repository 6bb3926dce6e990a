"""All models, importable from one place."""
from .audit import LogEntry, OutboxEmail, OutboxStatus
from .customers import Customer, CustomerTag
from .organizers import (Checkin, CheckinList, Event, Item, ItemVariation, Organizer, Question,
                         QuestionOption, Quota, Seat, SubEvent, TaxRule, Voucher, question_item,
                         quota_item, quota_variation)
from .orders import (Answer, BlockedSecret, Invoice, InvoiceAddress, InvoiceLine, Order, OrderFee, OrderPayment,
                     OrderPosition, OrderRefund, OrderStatus, PaymentState, RefundState,
                     RevokedSecret, answer_option)
from .staff import ApiToken, LoginFailure, Team, User, team_event, team_member
from .types import utcnow

__all__ = [name for name in dir() if not name.startswith("_")]
