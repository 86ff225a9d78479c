import { Body, Controller, Get, HttpCode, Put, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { API_PATHS, type SealedContactBook } from '@conclave/contracts';
import type { Response } from 'express';
import { ApiSession } from '../../docs/route-docs.js';
import { SealedContactBookDto } from '../dto.js';
import { CurrentUserId } from '../principal/decorators.js';
import { ContactBookService } from './contact-book.service.js';

/**
 * The signed-in user's contact book (docs/protocol.md §5.3–5.4), sealed under their wrapKey in the browser, so that
 * verification marks and accepted identity keys follow them to another browser.
 */
@ApiTags('auth')
@Controller(API_PATHS.contacts.prefix)
@ApiSession()
export class ContactBookController {
  constructor(private readonly books: ContactBookService) {}

  @Get()
  @ApiOperation({ summary: 'My sealed contact book; 204 when I have none yet' })
  @ApiOkResponse({ type: SealedContactBookDto })
  @ApiNoContentResponse({ description: 'No contact book stored yet' })
  async get(@CurrentUserId() userId: string, @Res({ passthrough: true }) res: Response): Promise<SealedContactBook | undefined> {
    const book = await this.books.get(userId);
    if (!book) res.status(204);
    return book;
  }

  @Put()
  @HttpCode(204)
  @ApiOperation({ summary: 'Replace my sealed contact book' })
  @ApiNoContentResponse()
  @ApiBadRequestResponse({ description: 'Not a sealed contact book, or too large' })
  async put(@CurrentUserId() userId: string, @Body() book: SealedContactBookDto): Promise<void> {
    await this.books.put(userId, book);
  }
}
